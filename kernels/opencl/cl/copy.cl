// Strided row copy (Concat inputs that are not written in place, Split):
// clEnqueueCopyBufferRect refuses different pitches within one buffer.
kernel void copy_rows(global const real* src, int s_off, int s_pitch, global real* dst, int d_off,
                      int d_pitch, int row_elems, int total) {
  const int i = get_global_id(0);
  if (i >= total) return;
  const int r = i / row_elems, c = i - r * row_elems;
  ST(dst, d_off + r * d_pitch + c, LD(src, s_off + r * s_pitch + c));
}
