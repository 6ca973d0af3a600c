;; LEL's SIMD helper kernels for the tfjs wasm backend. They import tfjs-wasm's own memory, so they read
;; and write tensors in place (pointers are byte offsets of tensors in that heap). Hand-written because
;; tfjs-wasm has no fast kernel for these memory-bound operations and JavaScript cannot use SIMD.
;; Assemble with `pnpm --filter @lel/core build:simd` (wabt), which regenerates lel-simd-bytes.ts.
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

;; For r < rows, c < cols: dst[c·dstStride + r] = src[r·srcStride + c] (float32; strides in elements).
  ;; 4×4 blocks are transposed in registers with shuffles; ragged edges element by element. Exact copies.
  ;; Loop order: tiles of 64 rows, then blocks of 4 columns, then the tile's rows, so every destination
  ;; cache line is written whole in consecutive stores (destination rows are often 2^k bytes apart, and
  ;; writing them piecewise across many rows evicts half-written lines).
  (func (export "transpose2d") (param $src i32) (param $rows i32) (param $cols i32) (param $srcStride i32) (param $dst i32) (param $dstStride i32)
    (local $r i32) (local $c i32) (local $r4 i32) (local $c4 i32) (local $ss i32) (local $ds i32)
    (local $r0 i32) (local $rEnd i32) (local $p i32) (local $q i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $ss (i32.shl (local.get $srcStride) (i32.const 2)))
    (local.set $ds (i32.shl (local.get $dstStride) (i32.const 2)))
    (local.set $r4 (i32.and (local.get $rows) (i32.const -4)))
    (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
    (local.set $r0 (i32.const 0))
    (block $tdone
      (loop $tiles
        (br_if $tdone (i32.ge_u (local.get $r0) (local.get $r4)))
        (local.set $rEnd (select (i32.add (local.get $r0) (i32.const 64)) (local.get $r4) (i32.lt_u (i32.add (local.get $r0) (i32.const 64)) (local.get $r4))))
        (local.set $c (i32.const 0))
        (block $cdone
          (loop $cloop
            (br_if $cdone (i32.ge_u (local.get $c) (local.get $c4)))
            (local.set $r (local.get $r0))
            (block $rdone
              (loop $rloop
                (br_if $rdone (i32.ge_u (local.get $r) (local.get $rEnd)))
                ;; p = &src[r][c]
                (local.set $p (i32.add (local.get $src) (i32.add (i32.mul (local.get $r) (local.get $ss)) (i32.shl (local.get $c) (i32.const 2)))))
                (local.set $x0 (v128.load (local.get $p)))
                (local.set $x1 (v128.load (i32.add (local.get $p) (local.get $ss))))
                (local.set $x2 (v128.load (i32.add (local.get $p) (i32.shl (local.get $ss) (i32.const 1)))))
                (local.set $x3 (v128.load (i32.add (local.get $p) (i32.mul (local.get $ss) (i32.const 3)))))
                ;; (a0 b0 a1 b1), (a2 b2 a3 b3), (c0 d0 c1 d1), (c2 d2 c3 d3)
                (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x0) (local.get $x1)))
                (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x0) (local.get $x1)))
                (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x2) (local.get $x3)))
                (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x2) (local.get $x3)))
                ;; q = &dst[c][r]
                (local.set $q (i32.add (local.get $dst) (i32.add (i32.mul (local.get $c) (local.get $ds)) (i32.shl (local.get $r) (i32.const 2)))))
                (v128.store (local.get $q) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
                (v128.store (i32.add (local.get $q) (local.get $ds)) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
                (v128.store (i32.add (local.get $q) (i32.shl (local.get $ds) (i32.const 1))) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
                (v128.store (i32.add (local.get $q) (i32.mul (local.get $ds) (i32.const 3))) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
                (local.set $r (i32.add (local.get $r) (i32.const 4)))
                (br $rloop)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $cloop)))
        ;; Columns c4..cols of this tile's rows.
        (block $ctail_done
          (loop $ctail
            (br_if $ctail_done (i32.ge_u (local.get $c) (local.get $cols)))
            (call $column (local.get $src) (local.get $r0) (i32.sub (local.get $rEnd) (local.get $r0)) (local.get $c) (local.get $ss) (local.get $dst) (local.get $ds))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $ctail)))
        (local.set $r0 (local.get $rEnd))
        (br $tiles)))
    ;; Rows r4..rows, every column.
    (if (i32.lt_u (local.get $r4) (local.get $rows))
      (then
        (local.set $c (i32.const 0))
        (block $rtail_done
          (loop $rtail
            (br_if $rtail_done (i32.ge_u (local.get $c) (local.get $cols)))
            (call $column (local.get $src) (local.get $r4) (i32.sub (local.get $rows) (local.get $r4)) (local.get $c) (local.get $ss) (local.get $dst) (local.get $ds))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $rtail))))))

  ;; dst[c][r0 + k] = src[r0 + k][c] for k < n (byte strides ss, ds).
  (func $column (param $src i32) (param $r0 i32) (param $n i32) (param $c i32) (param $ss i32) (param $dst i32) (param $ds i32)
    (local $k i32) (local $p i32) (local $q i32)
    (local.set $p (i32.add (local.get $src) (i32.add (i32.mul (local.get $r0) (local.get $ss)) (i32.shl (local.get $c) (i32.const 2)))))
    (local.set $q (i32.add (local.get $dst) (i32.add (i32.mul (local.get $c) (local.get $ds)) (i32.shl (local.get $r0) (i32.const 2)))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
        (f32.store (local.get $q) (f32.load (local.get $p)))
        (local.set $p (i32.add (local.get $p) (local.get $ss)))
        (local.set $q (i32.add (local.get $q) (i32.const 4)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $each))))

  ;; Batch normalisation with per-channel parameters, element by element exactly as tfjs-wasm computes it:
  ;; t = (x − mean[j]) · scale[j] in float32, then offset[j] + t / denom[j] in float64, rounded once to
  ;; float32 (denom = sqrtf(variance + ε), a float32 value). Four channels at a time, two per f64x2.
  (func (export "batch_norm") (param $x i32) (param $rows i32) (param $cols i32) (param $mean i32) (param $scale i32) (param $denom i32) (param $offset i32) (param $out i32)
    (local $r i32) (local $j i32) (local $c4 i32) (local $o i32) (local $p i32)
    (local $t v128) (local $d v128) (local $b v128) (local $lo v128) (local $hi v128)
    (local.set $c4 (i32.and (local.get $cols) (i32.const -4)))
    (block $rdone
      (loop $rows
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $vdone
          (loop $vec
            (br_if $vdone (i32.ge_u (local.get $j) (local.get $c4)))
            (local.set $o (i32.shl (local.get $j) (i32.const 2)))
            (local.set $t (f32x4.mul
              (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $o))) (v128.load (i32.add (local.get $mean) (local.get $o))))
              (v128.load (i32.add (local.get $scale) (local.get $o)))))
            (local.set $d (v128.load (i32.add (local.get $denom) (local.get $o))))
            (local.set $b (v128.load (i32.add (local.get $offset) (local.get $o))))
            (local.set $lo (f32x4.demote_f64x2_zero
              (f64x2.add (f64x2.promote_low_f32x4 (local.get $b))
                (f64x2.div (f64x2.promote_low_f32x4 (local.get $t)) (f64x2.promote_low_f32x4 (local.get $d))))))
            (local.set $hi (f32x4.demote_f64x2_zero
              (f64x2.add (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))
                (f64x2.div
                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $t) (local.get $t)))
                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $d) (local.get $d)))))))
            (v128.store (i32.add (local.get $out) (local.get $o))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $lo) (local.get $hi)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $vec)))
        (block $sdone
          (loop $scalar
            (br_if $sdone (i32.ge_u (local.get $j) (local.get $cols)))
            (local.set $o (i32.shl (local.get $j) (i32.const 2)))
            (f32.store (i32.add (local.get $out) (local.get $o))
              (f32.demote_f64
                (f64.add (f64.promote_f32 (f32.load (i32.add (local.get $offset) (local.get $o))))
                  (f64.div
                    (f64.promote_f32
                      (f32.mul
                        (f32.sub (f32.load (i32.add (local.get $x) (local.get $o))) (f32.load (i32.add (local.get $mean) (local.get $o))))
                        (f32.load (i32.add (local.get $scale) (local.get $o)))))
                    (f64.promote_f32 (f32.load (i32.add (local.get $denom) (local.get $o))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $scalar)))
        (local.set $p (i32.shl (local.get $cols) (i32.const 2)))
        (local.set $x (i32.add (local.get $x) (local.get $p)))
        (local.set $out (i32.add (local.get $out) (local.get $p)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))

  ;; C[b] = A[b] · B[b] for b < batch: A is [m, k], B is [k, n], C is [m, n], all row-major and contiguous,
  ;; n a multiple of 4. Register-blocked 4 × 8 (then 4 × 4, then single rows), each output summed over k in
  ;; order in float32. For the many small products of attention, where one XNNPACK call per batch costs more
  ;; in operator setup and weight packing than in arithmetic.
  (func (export "gemm_batched") (param $a i32) (param $b i32) (param $c i32) (param $batch i32) (param $m i32) (param $k i32) (param $n i32)
    (local $bi i32) (local $i i32) (local $j i32) (local $kk i32) (local $m4 i32) (local $n8 i32)
    (local $ak i32) (local $bk i32) (local $p i32) (local $rowA i32) (local $rowC i32) (local $nb i32)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $m4 (i32.and (local.get $m) (i32.const -4)))
    (local.set $n8 (i32.and (local.get $n) (i32.const -8)))
    (local.set $rowA (i32.shl (local.get $k) (i32.const 2)))
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (block $bdone
      (loop $batches
        (br_if $bdone (i32.ge_u (local.get $bi) (local.get $batch)))
        ;; Blocks of 4 rows.
        (local.set $i (i32.const 0))
        (block $idone
          (loop $rows4
            (br_if $idone (i32.ge_u (local.get $i) (local.get $m4)))
            (local.set $j (i32.const 0))
            ;; 8 columns at a time.
            (block $jdone8
              (loop $cols8
                (br_if $jdone8 (i32.ge_u (local.get $j) (local.get $n8)))
                (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
                (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
                (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
                (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0))
                (local.set $ak (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rowA))))
                (local.set $bk (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
                (local.set $kk (i32.const 0))
                (block $kdone8
                  (loop $ks8
                    (br_if $kdone8 (i32.ge_u (local.get $kk) (local.get $k)))
                    (local.set $b0 (v128.load offset=0 (local.get $bk)))
                    (local.set $b1 (v128.load offset=16 (local.get $bk)))
                    (local.set $x (v128.load32_splat (local.get $ak)))
                    (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
                    (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
                    (local.set $p (i32.add (local.get $ak) (local.get $rowA)))
                    (local.set $x (v128.load32_splat (local.get $p)))
                    (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
                    (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
                    (local.set $p (i32.add (local.get $p) (local.get $rowA)))
                    (local.set $x (v128.load32_splat (local.get $p)))
                    (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
                    (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
                    (local.set $p (i32.add (local.get $p) (local.get $rowA)))
                    (local.set $x (v128.load32_splat (local.get $p)))
                    (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
                    (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
                    (local.set $ak (i32.add (local.get $ak) (i32.const 4)))
                    (local.set $bk (i32.add (local.get $bk) (local.get $nb)))
                    (local.set $kk (i32.add (local.get $kk) (i32.const 1)))
                    (br $ks8)))
                (local.set $p (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))))
                (v128.store offset=0 (local.get $p) (local.get $c00)) (v128.store offset=16 (local.get $p) (local.get $c01))
                (local.set $p (i32.add (local.get $p) (local.get $nb)))
                (v128.store offset=0 (local.get $p) (local.get $c10)) (v128.store offset=16 (local.get $p) (local.get $c11))
                (local.set $p (i32.add (local.get $p) (local.get $nb)))
                (v128.store offset=0 (local.get $p) (local.get $c20)) (v128.store offset=16 (local.get $p) (local.get $c21))
                (local.set $p (i32.add (local.get $p) (local.get $nb)))
                (v128.store offset=0 (local.get $p) (local.get $c30)) (v128.store offset=16 (local.get $p) (local.get $c31))
                (local.set $j (i32.add (local.get $j) (i32.const 8)))
                (br $cols8)))
            ;; A last block of 4 columns.
            (if (i32.lt_u (local.get $j) (local.get $n))
              (then
                (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c10 (v128.const i32x4 0 0 0 0))
                (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c30 (v128.const i32x4 0 0 0 0))
                (local.set $ak (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rowA))))
                (local.set $bk (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
                (local.set $kk (i32.const 0))
                (block $kdone4
                  (loop $ks4
                    (br_if $kdone4 (i32.ge_u (local.get $kk) (local.get $k)))
                    (local.set $b0 (v128.load (local.get $bk)))
                    (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (v128.load32_splat (local.get $ak)) (local.get $b0))))
                    (local.set $p (i32.add (local.get $ak) (local.get $rowA)))
                    (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (v128.load32_splat (local.get $p)) (local.get $b0))))
                    (local.set $p (i32.add (local.get $p) (local.get $rowA)))
                    (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (v128.load32_splat (local.get $p)) (local.get $b0))))
                    (local.set $p (i32.add (local.get $p) (local.get $rowA)))
                    (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (v128.load32_splat (local.get $p)) (local.get $b0))))
                    (local.set $ak (i32.add (local.get $ak) (i32.const 4)))
                    (local.set $bk (i32.add (local.get $bk) (local.get $nb)))
                    (local.set $kk (i32.add (local.get $kk) (i32.const 1)))
                    (br $ks4)))
                (local.set $p (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))))
                (v128.store (local.get $p) (local.get $c00))
                (local.set $p (i32.add (local.get $p) (local.get $nb)))
                (v128.store (local.get $p) (local.get $c10))
                (local.set $p (i32.add (local.get $p) (local.get $nb)))
                (v128.store (local.get $p) (local.get $c20))
                (local.set $p (i32.add (local.get $p) (local.get $nb)))
                (v128.store (local.get $p) (local.get $c30))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $rows4)))
        ;; Remaining rows one at a time, 4 columns at a time.
        (block $irdone
          (loop $rows1
            (br_if $irdone (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $j (i32.const 0))
            (block $jdone1
              (loop $cols1
                (br_if $jdone1 (i32.ge_u (local.get $j) (local.get $n)))
                (local.set $c00 (v128.const i32x4 0 0 0 0))
                (local.set $ak (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rowA))))
                (local.set $bk (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
                (local.set $kk (i32.const 0))
                (block $kdone1
                  (loop $ks1
                    (br_if $kdone1 (i32.ge_u (local.get $kk) (local.get $k)))
                    (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (v128.load32_splat (local.get $ak)) (v128.load (local.get $bk)))))
                    (local.set $ak (i32.add (local.get $ak) (i32.const 4)))
                    (local.set $bk (i32.add (local.get $bk) (local.get $nb)))
                    (local.set $kk (i32.add (local.get $kk) (i32.const 1)))
                    (br $ks1)))
                (v128.store (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))) (local.get $c00))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $cols1)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rows1)))
        (local.set $a (i32.add (local.get $a) (i32.mul (local.get $m) (local.get $rowA))))
        (local.set $b (i32.add (local.get $b) (i32.mul (local.get $k) (local.get $nb))))
        (local.set $c (i32.add (local.get $c) (i32.mul (local.get $m) (local.get $nb))))
        (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
        (br $batches))))

  ;; Direct NHWC convolution, stride 1, dilation 1, on an input already zero-padded to [n, hp, wp, ci]:
  ;; out[b, y, x, o] = Σ_{i<kh, j<kw, c<ci} xp[b, y+i, x+j, c] · w[i, j, c, o] for y < oh, x < ow; co a
  ;; multiple of 4. Register tiles of 4 output pixels of a row × 8 (or 4) output channels; each output is
  ;; summed over (i, j, c) in that order in float32. No im2col buffer and no weight packing per call.
  (func (export "conv2d_s1") (param $xp i32) (param $n i32) (param $hp i32) (param $wp i32) (param $ci i32)
    (param $w i32) (param $kh i32) (param $kw i32) (param $co i32) (param $out i32) (param $oh i32) (param $ow i32)
    (local $b i32) (local $y i32) (local $x i32) (local $o i32) (local $i i32) (local $j i32) (local $c i32)
    (local $ow4 i32) (local $co8 i32) (local $pix i32) (local $rowB i32) (local $wRow i32)
    (local $p i32) (local $q i32) (local $np i32)
    (local $b0 v128) (local $b1 v128) (local $a v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $ow4 (i32.and (local.get $ow) (i32.const -4)))
    (local.set $co8 (i32.and (local.get $co) (i32.const -8)))
    (local.set $pix (i32.shl (local.get $ci) (i32.const 2)))
    (local.set $wRow (i32.shl (local.get $co) (i32.const 2)))
    (block $bdone (loop $bl
      (br_if $bdone (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $y (i32.const 0))
      (block $ydone (loop $yl
        (br_if $ydone (i32.ge_u (local.get $y) (local.get $oh)))
        (local.set $x (i32.const 0))
        (block $xdone (loop $xl
          (br_if $xdone (i32.ge_u (local.get $x) (local.get $ow)))
          ;; np = pixels in this tile: 4, or 1 in the ragged tail of the row.
          (local.set $np (select (i32.const 4) (i32.const 1) (i32.lt_u (local.get $x) (local.get $ow4))))
          (local.set $o (i32.const 0))
          (block $odone (loop $ol
            (br_if $odone (i32.ge_u (local.get $o) (local.get $co)))
            (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
            (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
            (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
            (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0))
            (local.set $i (i32.const 0))
            (block $idone (loop $il
              (br_if $idone (i32.ge_u (local.get $i) (local.get $kh)))
              (local.set $j (i32.const 0))
              (block $jdone (loop $jl
                (br_if $jdone (i32.ge_u (local.get $j) (local.get $kw)))
                ;; p = &xp[b, y+i, x+j, 0]; q = &w[i, j, 0, o]
                (local.set $p (i32.add (local.get $xp) (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $hp)) (i32.add (local.get $y) (local.get $i))) (local.get $wp)) (i32.add (local.get $x) (local.get $j))) (local.get $pix))))
                (local.set $q (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $ci)) (local.get $co)) (local.get $o)) (i32.const 2))))
                (local.set $c (i32.const 0))
                (if (i32.eq (local.get $np) (i32.const 4))
                  (then
                    (if (i32.lt_u (local.get $o) (local.get $co8))
                      (then
                        (block $cdone (loop $cl
                          (br_if $cdone (i32.ge_u (local.get $c) (local.get $ci)))
                          (local.set $b0 (v128.load offset=0 (local.get $q)))
                          (local.set $b1 (v128.load offset=16 (local.get $q)))
                          (local.set $a (v128.load32_splat (local.get $p)))
                          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
                          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
                          (local.set $a (v128.load32_splat (i32.add (local.get $p) (local.get $pix))))
                          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
                          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
                          (local.set $a (v128.load32_splat (i32.add (local.get $p) (i32.shl (local.get $pix) (i32.const 1)))))
                          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
                          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
                          (local.set $a (v128.load32_splat (i32.add (local.get $p) (i32.mul (local.get $pix) (i32.const 3)))))
                          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
                          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))
                          (local.set $p (i32.add (local.get $p) (i32.const 4)))
                          (local.set $q (i32.add (local.get $q) (local.get $wRow)))
                          (local.set $c (i32.add (local.get $c) (i32.const 1)))
                          (br $cl))))
                      (else
                        (block $cdone4 (loop $cl4
                          (br_if $cdone4 (i32.ge_u (local.get $c) (local.get $ci)))
                          (local.set $b0 (v128.load (local.get $q)))
                          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (v128.load32_splat (local.get $p)) (local.get $b0))))
                          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (v128.load32_splat (i32.add (local.get $p) (local.get $pix))) (local.get $b0))))
                          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (v128.load32_splat (i32.add (local.get $p) (i32.shl (local.get $pix) (i32.const 1)))) (local.get $b0))))
                          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (v128.load32_splat (i32.add (local.get $p) (i32.mul (local.get $pix) (i32.const 3)))) (local.get $b0))))
                          (local.set $p (i32.add (local.get $p) (i32.const 4)))
                          (local.set $q (i32.add (local.get $q) (local.get $wRow)))
                          (local.set $c (i32.add (local.get $c) (i32.const 1)))
                          (br $cl4))))))
                  (else
                    ;; One pixel, 8 (or 4) channels.
                    (block $cdone1 (loop $cl1
                      (br_if $cdone1 (i32.ge_u (local.get $c) (local.get $ci)))
                      (local.set $a (v128.load32_splat (local.get $p)))
                      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (v128.load (local.get $q)))))
                      (if (i32.lt_u (local.get $o) (local.get $co8))
                        (then (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (v128.load offset=16 (local.get $q)))))))
                      (local.set $p (i32.add (local.get $p) (i32.const 4)))
                      (local.set $q (i32.add (local.get $q) (local.get $wRow)))
                      (local.set $c (i32.add (local.get $c) (i32.const 1)))
                      (br $cl1)))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jl)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $il)))
            ;; Store: q = &out[b, y, x, o]
            (local.set $q (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $oh)) (local.get $y)) (local.get $ow)) (local.get $x)) (local.get $co)) (local.get $o)) (i32.const 2))))
            (v128.store (local.get $q) (local.get $c00))
            (if (i32.lt_u (local.get $o) (local.get $co8)) (then (v128.store offset=16 (local.get $q) (local.get $c01))))
            (if (i32.eq (local.get $np) (i32.const 4))
              (then
                (local.set $q (i32.add (local.get $q) (local.get $wRow)))
                (v128.store (local.get $q) (local.get $c10))
                (if (i32.lt_u (local.get $o) (local.get $co8)) (then (v128.store offset=16 (local.get $q) (local.get $c11))))
                (local.set $q (i32.add (local.get $q) (local.get $wRow)))
                (v128.store (local.get $q) (local.get $c20))
                (if (i32.lt_u (local.get $o) (local.get $co8)) (then (v128.store offset=16 (local.get $q) (local.get $c21))))
                (local.set $q (i32.add (local.get $q) (local.get $wRow)))
                (v128.store (local.get $q) (local.get $c30))
                (if (i32.lt_u (local.get $o) (local.get $co8)) (then (v128.store offset=16 (local.get $q) (local.get $c31))))))
            (local.set $o (i32.add (local.get $o) (select (i32.const 8) (i32.const 4) (i32.lt_u (local.get $o) (local.get $co8)))))
            (br $ol)))
          (local.set $x (i32.add (local.get $x) (local.get $np)))
          (br $xl)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $yl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; Max-pool gradient (NHWC, float32): each window's dy goes to its first maximal element (row-major window
  ;; order, strict > from −∞; NaN never wins), dx[that] += dy. Four channels at a time with compare/select;
  ;; the adds into dx happen in (b, y, x, channel) order as in a scalar loop. dx must be zeroed by the caller.
  (func (export "maxpool_grad") (param $x i32) (param $dy i32) (param $dx i32) (param $n i32) (param $h i32) (param $w i32) (param $c i32)
    (param $oh i32) (param $ow i32) (param $sh i32) (param $sw i32) (param $fh i32) (param $fw i32) (param $pt i32) (param $pl i32)
    (local $b i32) (local $y i32) (local $xx i32) (local $ch i32) (local $c4 i32) (local $iy i32) (local $ix i32)
    (local $y0 i32) (local $y1 i32) (local $x0 i32) (local $x1 i32) (local $base i32) (local $dyOff i32) (local $lane i32) (local $idx i32)
    (local $best v128) (local $pos v128) (local $v v128) (local $m v128) (local $bs f32) (local $ps i32) (local $vs f32)
    (local.set $c4 (i32.and (local.get $c) (i32.const -4)))
    (block $bdone (loop $bl
      (br_if $bdone (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $y (i32.const 0))
      (block $ydone (loop $yl
        (br_if $ydone (i32.ge_u (local.get $y) (local.get $oh)))
        ;; y0 = max(0, y·sh − pt), y1 = min(h, y·sh − pt + fh)
        (local.set $y0 (i32.sub (i32.mul (local.get $y) (local.get $sh)) (local.get $pt)))
        (local.set $y1 (i32.add (local.get $y0) (local.get $fh)))
        (if (i32.lt_s (local.get $y0) (i32.const 0)) (then (local.set $y0 (i32.const 0))))
        (if (i32.gt_s (local.get $y1) (local.get $h)) (then (local.set $y1 (local.get $h))))
        (local.set $xx (i32.const 0))
        (block $xdone (loop $xl
          (br_if $xdone (i32.ge_u (local.get $xx) (local.get $ow)))
          (local.set $x0 (i32.sub (i32.mul (local.get $xx) (local.get $sw)) (local.get $pl)))
          (local.set $x1 (i32.add (local.get $x0) (local.get $fw)))
          (if (i32.lt_s (local.get $x0) (i32.const 0)) (then (local.set $x0 (i32.const 0))))
          (if (i32.gt_s (local.get $x1) (local.get $w)) (then (local.set $x1 (local.get $w))))
          ;; dyOff = ((b·oh + y)·ow + xx)·c (elements)
          (local.set $dyOff (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $oh)) (local.get $y)) (local.get $ow)) (local.get $xx)) (local.get $c)))
          (local.set $ch (i32.const 0))
          (block $cdone (loop $cl
            (br_if $cdone (i32.ge_u (local.get $ch) (local.get $c4)))
            (local.set $best (f32x4.splat (f32.const -inf)))
            (local.set $pos (i32x4.splat (i32.const -1)))
            (local.set $iy (local.get $y0))
            (block $iydone (loop $iyl
              (br_if $iydone (i32.ge_s (local.get $iy) (local.get $y1)))
              (local.set $ix (local.get $x0))
              (block $ixdone (loop $ixl
                (br_if $ixdone (i32.ge_s (local.get $ix) (local.get $x1)))
                ;; idx = ((b·h + iy)·w + ix)·c + ch
                (local.set $idx (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $ix)) (local.get $c)) (local.get $ch)))
                (local.set $v (v128.load (i32.add (local.get $x) (i32.shl (local.get $idx) (i32.const 2)))))
                (local.set $m (f32x4.gt (local.get $v) (local.get $best)))
                (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $m)))
                (local.set $pos (v128.bitselect
                  (i32x4.add (i32x4.splat (local.get $idx)) (v128.const i32x4 0 1 2 3))
                  (local.get $pos) (local.get $m)))
                (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
                (br $ixl)))
              (local.set $iy (i32.add (local.get $iy) (i32.const 1)))
              (br $iyl)))
            ;; Scatter lane by lane, in channel order.
            (call $scatter (local.get $dx) (i32x4.extract_lane 0 (local.get $pos)) (f32.load (i32.add (local.get $dy) (i32.shl (i32.add (local.get $dyOff) (local.get $ch)) (i32.const 2)))))
            (call $scatter (local.get $dx) (i32x4.extract_lane 1 (local.get $pos)) (f32.load offset=4 (i32.add (local.get $dy) (i32.shl (i32.add (local.get $dyOff) (local.get $ch)) (i32.const 2)))))
            (call $scatter (local.get $dx) (i32x4.extract_lane 2 (local.get $pos)) (f32.load offset=8 (i32.add (local.get $dy) (i32.shl (i32.add (local.get $dyOff) (local.get $ch)) (i32.const 2)))))
            (call $scatter (local.get $dx) (i32x4.extract_lane 3 (local.get $pos)) (f32.load offset=12 (i32.add (local.get $dy) (i32.shl (i32.add (local.get $dyOff) (local.get $ch)) (i32.const 2)))))
            (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
            (br $cl)))
          ;; Remaining channels one at a time.
          (block $sdone (loop $sl
            (br_if $sdone (i32.ge_u (local.get $ch) (local.get $c)))
            (local.set $bs (f32.const -inf))
            (local.set $ps (i32.const -1))
            (local.set $iy (local.get $y0))
            (block $siydone (loop $siyl
              (br_if $siydone (i32.ge_s (local.get $iy) (local.get $y1)))
              (local.set $ix (local.get $x0))
              (block $sixdone (loop $sixl
                (br_if $sixdone (i32.ge_s (local.get $ix) (local.get $x1)))
                (local.set $idx (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $ix)) (local.get $c)) (local.get $ch)))
                (local.set $vs (f32.load (i32.add (local.get $x) (i32.shl (local.get $idx) (i32.const 2)))))
                (if (f32.gt (local.get $vs) (local.get $bs)) (then (local.set $bs (local.get $vs)) (local.set $ps (local.get $idx))))
                (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
                (br $sixl)))
              (local.set $iy (i32.add (local.get $iy) (i32.const 1)))
              (br $siyl)))
            (call $scatter (local.get $dx) (local.get $ps) (f32.load (i32.add (local.get $dy) (i32.shl (i32.add (local.get $dyOff) (local.get $ch)) (i32.const 2)))))
            (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
            (br $sl)))
          (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
          (br $xl)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $yl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; dx[pos] += g when pos ≥ 0 (float32).
  (func $scatter (param $dx i32) (param $pos i32) (param $g f32)
    (local $p i32)
    (if (i32.ge_s (local.get $pos) (i32.const 0))
      (then
        (local.set $p (i32.add (local.get $dx) (i32.shl (local.get $pos) (i32.const 2))))
        (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (local.get $g))))))

  ;; dx += the bilinear-resize gradient of dy (NHWC float32, dx [n, h, w, c] pre-zeroed, dy [n, nh, nw, c]). Taps
  ;; come precomputed as 16-byte records {i32 lo, i32 hi, f64 frac}: `rows` per output row, `cols` per output
  ;; column. Each dy value g goes to its four source pixels as dx = f32(dx + g·weight) with the product and sum
  ;; in float64 and weights (1−rf)(1−cf), (1−rf)cf, rf(1−cf), rf·cf: the arithmetic of the JavaScript kernel,
  ;; two channels per f64x2. Targets are updated in the order top-left, top-right, bottom-left, bottom-right.
  (func (export "bilinear_grad") (param $dy i32) (param $dx i32) (param $n i32) (param $h i32) (param $w i32) (param $c i32)
    (param $nh i32) (param $nw i32) (param $rows i32) (param $cols i32)
    (local $b i32) (local $r i32) (local $j i32) (local $d i32) (local $c2 i32) (local $o i32)
    (local $top i32) (local $bot i32) (local $rf f64) (local $left i32) (local $right i32) (local $cf f64)
    (local $tl i32) (local $tr i32) (local $bl i32) (local $br i32)
    (local $wtl f64) (local $wtr f64) (local $wbl f64) (local $wbr f64)
    (local $g v128) (local $gs f64) (local $rec i32)
    (local.set $c2 (i32.and (local.get $c) (i32.const -2)))
    (local.set $o (local.get $dy))
    (block $bdone (loop $bl_
      (br_if $bdone (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $r (i32.const 0))
      (block $rdone (loop $rl
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $nh)))
        (local.set $rec (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 4))))
        (local.set $top (i32.add (i32.mul (local.get $b) (local.get $h)) (i32.load (local.get $rec))))
        (local.set $bot (i32.add (i32.mul (local.get $b) (local.get $h)) (i32.load offset=4 (local.get $rec))))
        (local.set $rf (f64.load offset=8 (local.get $rec)))
        (local.set $j (i32.const 0))
        (block $jdone (loop $jl
          (br_if $jdone (i32.ge_u (local.get $j) (local.get $nw)))
          (local.set $rec (i32.add (local.get $cols) (i32.shl (local.get $j) (i32.const 4))))
          (local.set $left (i32.load (local.get $rec)))
          (local.set $right (i32.load offset=4 (local.get $rec)))
          (local.set $cf (f64.load offset=8 (local.get $rec)))
          ;; Byte offsets of the four source pixels' channel 0.
          (local.set $tl (i32.add (local.get $dx) (i32.shl (i32.mul (i32.add (i32.mul (local.get $top) (local.get $w)) (local.get $left)) (local.get $c)) (i32.const 2))))
          (local.set $tr (i32.add (local.get $dx) (i32.shl (i32.mul (i32.add (i32.mul (local.get $top) (local.get $w)) (local.get $right)) (local.get $c)) (i32.const 2))))
          (local.set $bl (i32.add (local.get $dx) (i32.shl (i32.mul (i32.add (i32.mul (local.get $bot) (local.get $w)) (local.get $left)) (local.get $c)) (i32.const 2))))
          (local.set $br (i32.add (local.get $dx) (i32.shl (i32.mul (i32.add (i32.mul (local.get $bot) (local.get $w)) (local.get $right)) (local.get $c)) (i32.const 2))))
          (local.set $wtl (f64.mul (f64.sub (f64.const 1) (local.get $rf)) (f64.sub (f64.const 1) (local.get $cf))))
          (local.set $wtr (f64.mul (f64.sub (f64.const 1) (local.get $rf)) (local.get $cf)))
          (local.set $wbl (f64.mul (local.get $rf) (f64.sub (f64.const 1) (local.get $cf))))
          (local.set $wbr (f64.mul (local.get $rf) (local.get $cf)))
          (local.set $d (i32.const 0))
          (block $ddone (loop $dl
            (br_if $ddone (i32.ge_u (local.get $d) (local.get $c2)))
            (local.set $g (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $o))))
            (call $acc2 (local.get $tl) (local.get $g) (local.get $wtl))
            (call $acc2 (local.get $tr) (local.get $g) (local.get $wtr))
            (call $acc2 (local.get $bl) (local.get $g) (local.get $wbl))
            (call $acc2 (local.get $br) (local.get $g) (local.get $wbr))
            (local.set $o (i32.add (local.get $o) (i32.const 8)))
            (local.set $tl (i32.add (local.get $tl) (i32.const 8)))
            (local.set $tr (i32.add (local.get $tr) (i32.const 8)))
            (local.set $bl (i32.add (local.get $bl) (i32.const 8)))
            (local.set $br (i32.add (local.get $br) (i32.const 8)))
            (local.set $d (i32.add (local.get $d) (i32.const 2)))
            (br $dl)))
          (if (i32.lt_u (local.get $d) (local.get $c))
            (then
              (local.set $gs (f64.promote_f32 (f32.load (local.get $o))))
              (call $acc1 (local.get $tl) (local.get $gs) (local.get $wtl))
              (call $acc1 (local.get $tr) (local.get $gs) (local.get $wtr))
              (call $acc1 (local.get $bl) (local.get $gs) (local.get $wbl))
              (call $acc1 (local.get $br) (local.get $gs) (local.get $wbr))
              (local.set $o (i32.add (local.get $o) (i32.const 4)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $jl)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl_))))

  ;; Two float32 values at p: p = f32(p + g·wt) in float64.
  (func $acc2 (param $p i32) (param $g v128) (param $wt f64)
    (v128.store64_lane 0 (local.get $p)
      (f32x4.demote_f64x2_zero
        (f64x2.add (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p)))
          (f64x2.mul (local.get $g) (f64x2.splat (local.get $wt)))))))

  ;; One float32 value at p: p = f32(p + g·wt) in float64.
  (func $acc1 (param $p i32) (param $g f64) (param $wt f64)
    (f32.store (local.get $p) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $p))) (f64.mul (local.get $g) (local.get $wt))))))

  ;; One Adam update, element by element in float32 exactly as LEL's Adam composes tfjs ops (scalars given
  ;; as float32): m = m·β1 + g·(1−β1) (first step: g·(1−β1)); v = v·β2 + (g·g)·(1−β2) (first: (g·g)·(1−β2));
  ;; p' = p − (m / (√v / bc2 + eps))·stepSize. Writes m, v and p' to new buffers; four values at a time.
  (func (export "adam_update") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $outP i32) (param $outM i32) (param $outV i32)
    (param $size i32) (param $first i32) (param $b1 f32) (param $omb1 f32) (param $b2 f32) (param $omb2 f32) (param $bc2 f32) (param $eps f32) (param $step f32)
    (local $i i32) (local $n4 i32) (local $o i32)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $n4 (i32.and (local.get $size) (i32.const -4)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n4)))
      (local.set $o (i32.shl (local.get $i) (i32.const 2)))
      (local.set $gv (v128.load (i32.add (local.get $g) (local.get $o))))
      (if (local.get $first)
        (then
          (local.set $mv (f32x4.mul (local.get $gv) (f32x4.splat (local.get $omb1))))
          (local.set $vv (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (f32x4.splat (local.get $omb2)))))
        (else
          (local.set $mv (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $o))) (f32x4.splat (local.get $b1)))
                                    (f32x4.mul (local.get $gv) (f32x4.splat (local.get $omb1)))))
          (local.set $vv (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $o))) (f32x4.splat (local.get $b2)))
                                    (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (f32x4.splat (local.get $omb2)))))))
      (v128.store (i32.add (local.get $outM) (local.get $o)) (local.get $mv))
      (v128.store (i32.add (local.get $outV) (local.get $o)) (local.get $vv))
      (v128.store (i32.add (local.get $outP) (local.get $o))
        (f32x4.sub (v128.load (i32.add (local.get $p) (local.get $o)))
          (f32x4.mul
            (f32x4.div (local.get $mv)
              (f32x4.add (f32x4.div (f32x4.sqrt (local.get $vv)) (f32x4.splat (local.get $bc2))) (f32x4.splat (local.get $eps))))
            (f32x4.splat (local.get $step)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l)))
    (block $sdone (loop $sl
      (br_if $sdone (i32.ge_u (local.get $i) (local.get $size)))
      (local.set $o (i32.shl (local.get $i) (i32.const 2)))
      (local.set $gs (f32.load (i32.add (local.get $g) (local.get $o))))
      (if (local.get $first)
        (then
          (local.set $ms (f32.mul (local.get $gs) (local.get $omb1)))
          (local.set $vs (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $omb2))))
        (else
          (local.set $ms (f32.add (f32.mul (f32.load (i32.add (local.get $m) (local.get $o))) (local.get $b1)) (f32.mul (local.get $gs) (local.get $omb1))))
          (local.set $vs (f32.add (f32.mul (f32.load (i32.add (local.get $v) (local.get $o))) (local.get $b2)) (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $omb2))))))
      (f32.store (i32.add (local.get $outM) (local.get $o)) (local.get $ms))
      (f32.store (i32.add (local.get $outV) (local.get $o)) (local.get $vs))
      (f32.store (i32.add (local.get $outP) (local.get $o))
        (f32.sub (f32.load (i32.add (local.get $p) (local.get $o)))
          (f32.mul (f32.div (local.get $ms) (f32.add (f32.div (f32.sqrt (local.get $vs)) (local.get $bc2)) (local.get $eps))) (local.get $step))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sl))))
)
