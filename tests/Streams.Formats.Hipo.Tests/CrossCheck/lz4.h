// Declarations of the four liblz4 functions gavalian/hipo calls, for hosts with liblz4.so.1 but no lz4.h.
#pragma once
#ifdef __cplusplus
extern "C" {
#endif
int LZ4_compressBound(int inputSize);
int LZ4_compress_fast(const char* src, char* dst, int srcSize, int dstCapacity, int acceleration);
int LZ4_decompress_safe(const char* src, char* dst, int compressedSize, int dstCapacity);
int LZ4_decompress_fast(const char* src, char* dst, int originalSize);
int LZ4_uncompress(const char* src, char* dst, int originalSize);
#ifdef __cplusplus
}
#endif
