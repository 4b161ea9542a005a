// loss[0] += f0 * sum x[i]^2 over i < u0, one 256-thread workgroup.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;
var<workgroup> part: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
    var total = 0.0;
    for (var i = t; i < p.u0; i += 256u) { total = fma(x[i], x[i], total); }
    part[t] = total;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if (t < s) { part[t] += part[t + s]; }
        workgroupBarrier();
    }
    if (t == 0u) { loss[0] += p.f0 * part[0]; }
}
