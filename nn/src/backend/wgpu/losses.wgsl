// The fused losses, one 256-thread workgroup each: threads stride over rows (or values), then a
// fixed-order tree reduction adds the total to loss[0]. u5 picks the loss:
// 0 softmax + cross-entropy (u0 rows, u1 cols), 1 logistic + binary cross-entropy (u0 rows),
// 2 squared error (u0 values, u1 cols). f0 = gradient scale.
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read> tgt: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;
@group(0) @binding(5) var<storage, read_write> loss: array<f32>;

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
    var total = 0.0;
    let scale = p.f0;
    if (p.u5 == 0u) {
        let cols = p.u1;
        for (var r = t; r < p.u0; r += 256u) {
            let base = r * cols;
            var mx = z[base];
            for (var c = 1u; c < cols; c++) { mx = max(mx, z[base + c]); }
            var sum = 0.0;
            for (var c = 0u; c < cols; c++) {
                let e = exp(z[base + c] - mx);
                grad[base + c] = e;
                sum += e;
            }
            let inv = scale / sum;
            for (var c = 0u; c < cols; c++) { grad[base + c] *= inv; }
            let y = labels[r];
            grad[base + y] -= scale;
            total += log(sum) - (z[base + y] - mx);
        }
    } else if (p.u5 == 1u) {
        for (var r = t; r < p.u0; r += 256u) {
            let zr = z[r];
            let y = f32(labels[r]);
            grad[r] = scale * (act_apply(1u, zr) - y);
            total += max(zr, 0.0) + log(1.0 + exp(-abs(zr))) - y * zr;
        }
    } else {
        for (var i = t; i < p.u0; i += 256u) {
            let d = z[i] - tgt[i];
            grad[i] = scale * d;
            total += d * d;
        }
        total /= 2.0 * f32(p.u1);
    }
    part[t] = total;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if (t < s) { part[t] += part[t + s]; }
        workgroupBarrier();
    }
    if (t == 0u) { loss[0] += part[0]; }
}
