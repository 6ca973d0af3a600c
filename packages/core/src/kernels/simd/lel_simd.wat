;; LEL's SIMD helper kernels for the tfjs wasm backend. They import tfjs-wasm's own memory, so they read
;; and write tensors in place (pointers are byte offsets of tensors in that heap). Hand-written because
;; tfjs-wasm has no fast kernel for these memory-bound operations and JavaScript cannot use SIMD.
;; Assemble with `pnpm --filter @lel/core build:simd` (wabt), which regenerates lel_simd_bytes.ts.
(module
  (import "env" "memory" (memory 1))

  ;; out[j] = x[0][j] + x[1][j] + … + x[rows-1][j] for j < cols (float32, rows ≥ 1), each lane summed
  ;; sequentially over rows in float32: the same additions in the same order as a row-by-row loop.
  (func (export "colsum") (param $x i32) (param $rows i32) (param $cols i32) (param $out i32)
    (local $stride i32) (local $j i32) (local $p i32) (local $r i32) (local $end16 i32) (local $end4 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s f32)
    (local.set $stride (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $end16 (i32.and (local.get $cols) (i32.const -16)))
    (local.set $end4 (i32.and (local.get $cols) (i32.const -4)))
    ;; Blocks of 16 columns: four accumulators stay in registers down all rows.
    (local.set $j (i32.const 0))
    (block $done16
      (loop $cols16
        (br_if $done16 (i32.ge_u (local.get $j) (local.get $end16)))
        (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $a0 (v128.load offset=0 (local.get $p)))
        (local.set $a1 (v128.load offset=16 (local.get $p)))
        (local.set $a2 (v128.load offset=32 (local.get $p)))
        (local.set $a3 (v128.load offset=48 (local.get $p)))
        (local.set $r (i32.const 1))
        (block $rows_done
          (loop $rows16
            (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $p (i32.add (local.get $p) (local.get $stride)))
            (local.set $a0 (f32x4.add (local.get $a0) (v128.load offset=0 (local.get $p))))
            (local.set $a1 (f32x4.add (local.get $a1) (v128.load offset=16 (local.get $p))))
            (local.set $a2 (f32x4.add (local.get $a2) (v128.load offset=32 (local.get $p))))
            (local.set $a3 (f32x4.add (local.get $a3) (v128.load offset=48 (local.get $p))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rows16)))
        (local.set $p (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))))
        (v128.store offset=0 (local.get $p) (local.get $a0))
        (v128.store offset=16 (local.get $p) (local.get $a1))
        (v128.store offset=32 (local.get $p) (local.get $a2))
        (v128.store offset=48 (local.get $p) (local.get $a3))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $cols16)))
    ;; Remaining blocks of 4 columns.
    (block $done4
      (loop $cols4
        (br_if $done4 (i32.ge_u (local.get $j) (local.get $end4)))
        (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $a0 (v128.load (local.get $p)))
        (local.set $r (i32.const 1))
        (block $rows_done4
          (loop $rows4
            (br_if $rows_done4 (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $p (i32.add (local.get $p) (local.get $stride)))
            (local.set $a0 (f32x4.add (local.get $a0) (v128.load (local.get $p))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rows4)))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $a0))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $cols4)))
    ;; Scalar tail.
    (block $done1
      (loop $cols1
        (br_if $done1 (i32.ge_u (local.get $j) (local.get $cols)))
        (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $s (f32.load (local.get $p)))
        (local.set $r (i32.const 1))
        (block $rows_done1
          (loop $rows1
            (br_if $rows_done1 (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $p (i32.add (local.get $p) (local.get $stride)))
            (local.set $s (f32.add (local.get $s) (f32.load (local.get $p))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rows1)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $s))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $cols1))))

  ;; For i < runs: copy `bytes` bytes from src + i·srcStride to dst + i·dstStride (slices along an inner
  ;; axis: split and concat on the channel axis).
  (func (export "strided_copy") (param $src i32) (param $dst i32) (param $runs i32) (param $bytes i32) (param $srcStride i32) (param $dstStride i32)
    (local $i i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $runs)))
        (memory.copy (local.get $dst) (local.get $src) (local.get $bytes))
        (local.set $src (i32.add (local.get $src) (local.get $srcStride)))
        (local.set $dst (i32.add (local.get $dst) (local.get $dstStride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each))))
)
