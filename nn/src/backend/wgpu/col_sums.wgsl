// res[c] = f0 * sum_r m[r, c] over u0 rows, u1 cols, in u2 chunks of u3 rows (a multiple of 4).
// A 256-thread workgroup owns 64 columns of one chunk (workgroup y): 4 row slices of 64 threads
// each, combined in workgroup memory in a fixed order. With one chunk it writes res; with more,
// each chunk's sums go to part[chunk][c] and gemm_reduce.wgsl adds them in chunk order.
@group(0) @binding(1) var<storage, read> m: array<f32>;
@group(0) @binding(2) var<storage, read_write> res: array<f32>;
@group(0) @binding(3) var<storage, read_write> part: array<f32>;
var<workgroup> acc: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let cols = p.u1;
    let c = wg.x * 64u + (t % 64u);
    let slice = t / 64u;
    let r0 = wg.y * p.u3;
    let r1 = min(p.u0, r0 + p.u3);
    var total = 0.0;
    if (c < cols) {
        for (var r = r0 + slice; r < r1; r += 4u) { total += m[r * cols + c]; }
    }
    acc[t] = total;
    workgroupBarrier();
    if (slice == 0u && c < cols) {
        let s = acc[t] + acc[t + 64u] + acc[t + 128u] + acc[t + 192u];
        if (p.u2 == 1u) {
            res[c] = p.f0 * s;
        } else {
            part[wg.y * cols + c] = s;
        }
    }
}
