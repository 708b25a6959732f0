/**
 * Keeping glibc from handing the tunnel's read buffers back to the kernel between reads.
 *
 * Node allocates a fresh 64 KiB buffer (malloc) for every socket read; V8 frees them in batches
 * when it collects them. glibc then trims the top of its heap as soon as more than
 * `M_TRIM_THRESHOLD` (128 KiB to start with) is free there, so the next reads fault the same pages
 * in again: with a bulk tunnel that was ~22 000 page faults and ~0.1–0.25 CPU s per GiB carried,
 * in the kernel, next to ~0.7 s for everything else (scripts/bench/tunnel-ab.mjs).
 *
 * glibc's thresholds are dynamic (mallopt(3), M_MMAP_THRESHOLD): freeing a chunk that was
 * mmap()ed because it was larger than the mmap threshold, and at most 32 MiB, raises the mmap
 * threshold to its size and the trim threshold to twice that. One throwaway 24 MiB ArrayBuffer,
 * freed at the next garbage collection, so keeps up to 48 MiB of freed heap mapped. Elsewhere
 * (musl, another allocator) it is just a short-lived allocation.
 */

let hinted = false;

/**
 * Raises glibc's trim threshold once per process (see the module comment); later calls do
 * nothing. Costs one 24 MiB allocation, untouched (not faulted in) and collected at the next GC.
 */
export function keepFreedHeap(): void {
  if (hinted) return;
  hinted = true;
  // Allocated (calloc → mmap, pages never touched) and dropped: glibc adjusts its thresholds
  // when V8 frees it.
  void new ArrayBuffer(24 * 1024 * 1024);
}
