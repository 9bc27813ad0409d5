#ifndef NEURALART_CJPEG_H
#define NEURALART_CJPEG_H
/*
 * A small, exit()-free front end to libjpeg (libjpeg-turbo's classic API).
 *
 * libjpeg's default error handler prints a message and calls exit(); every
 * function here instead installs a setjmp/longjmp error manager, so a corrupt
 * or truncated file comes back as a status code plus libjpeg's own message.
 * Nothing is ever printed. All buffers returned through `out` are allocated
 * with malloc and must be released with cjpeg_free.
 */
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes returned by every function. */
enum {
    CJPEG_OK = 0,
    CJPEG_CORRUPT = 1,      /* libjpeg reported an error; message in err */
    CJPEG_TOO_LARGE = 2,    /* header dimensions over the caller's limits; width/height set */
    CJPEG_UNSUPPORTED = 3,  /* valid JPEG that this shim does not decode (e.g. 2 components) */
    CJPEG_NO_MEMORY = 4,    /* malloc failed */
    CJPEG_BAD_ARGUMENT = 5  /* invalid arguments (programmer error on the caller's side) */
};

/*
 * Decodes a complete JPEG file held in memory to interleaved 8-bit RGB.
 *
 * Baseline, progressive and arithmetic-coded files are accepted; greyscale is
 * replicated to three channels, CMYK/YCCK is converted with the naive
 * (no colour management) formula, treating Adobe files as inverted CMYK.
 * The header is read first: if width*height exceeds max_pixels or either side
 * exceeds max_side, CJPEG_TOO_LARGE is returned (with *width and *height set to
 * the claimed size) before any pixel memory is allocated.
 * A truncated or corrupt entropy-coded segment is an error, not a grey-padded
 * picture.
 *
 * On success *out holds width*height*3 bytes (row-major, RGB), and *orientation
 * holds the EXIF orientation (1..8; 1 when absent or unreadable); err holds
 * libjpeg's first warning, i.e. damage it recovered from such as corrupt scan
 * data (with the count of further warnings), or is empty when there was none.
 * On failure *out is NULL and err holds a NUL-terminated one-line message.
 */
int cjpeg_decode(const unsigned char *data, size_t size,
                 unsigned char **out, int *width, int *height, int *orientation,
                 long max_pixels, long max_side,
                 char *err, size_t errlen);

/*
 * Encodes interleaved 8-bit samples to a JPEG file in memory.
 *
 * components: 1 (greyscale), 3 (RGB) or 4 (CMYK, written with an Adobe marker,
 * in Adobe's inverted convention: 255 means no ink).
 * quality: 1..100 (clamped). Chroma is subsampled 4:2:0 below quality 90 and
 * kept at full resolution (4:4:4) from 90 up.
 * progressive: non-zero writes a progressive JPEG.
 * On success *out and *outsize hold the file; release it with cjpeg_free.
 */
int cjpeg_encode(const unsigned char *pixels, int width, int height, int components,
                 int quality, int progressive,
                 unsigned char **out, unsigned long *outsize,
                 char *err, size_t errlen);

/* Frees a buffer returned by cjpeg_decode or cjpeg_encode (NULL is allowed). */
void cjpeg_free(void *buffer);

#ifdef __cplusplus
}
#endif
#endif
