/*
 * libjpeg behind a setjmp/longjmp error manager. See include/cjpeg.h.
 *
 * Every libjpeg call below may longjmp back to the setjmp in its caller; all
 * memory that must be released on that path is reachable from objects whose
 * address escaped (so the compiler keeps them in memory) or from volatile
 * locals.
 */
#include "cjpeg.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

/* A progressive file can hold thousands of tiny scans that each cost a full
   pass over the coefficients; real encoders write about 10. djpeg's -maxscans
   guards the same way. */
#define CJPEG_MAX_SCANS 500

/* ---- error manager ----------------------------------------------------- */

typedef struct {
    struct jpeg_error_mgr pub; /* must be first: libjpeg casts cinfo->err to this */
    jmp_buf jump;
    char *err;
    size_t errlen;
    int too_big; /* libjpeg refused the header's dimensions (over 65500 px) */
} cjpeg_error_mgr;

static void set_message(char *err, size_t errlen, const char *message) {
    if (err != NULL && errlen > 0) snprintf(err, errlen, "%s", message);
}

static void fail_with_current_message(j_common_ptr cinfo) {
    cjpeg_error_mgr *mgr = (cjpeg_error_mgr *)cinfo->err;
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    set_message(mgr->err, mgr->errlen, buffer);
    longjmp(mgr->jump, 1);
}

/* Fatal errors: copy the message and unwind to the caller's setjmp. */
static void on_error_exit(j_common_ptr cinfo) {
    if (cinfo->err->msg_code == JERR_IMAGE_TOO_BIG) ((cjpeg_error_mgr *)cinfo->err)->too_big = 1;
    fail_with_current_message(cinfo);
}

/* Warnings and trace messages: never printed. Running out of data (a
   truncated file, or a scan cut short) is fatal: libjpeg would otherwise pad
   the picture with grey and report success. The first other warning of a
   decode (e.g. corrupt scan data libjpeg recovered from) is kept in err, so
   the caller can show it or refuse the file. */
static void on_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level >= 0) return; /* trace message */
    int code = cinfo->err->msg_code;
    if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER) fail_with_current_message(cinfo);
    if (cinfo->err->num_warnings == 0 && cinfo->is_decompressor) {
        cjpeg_error_mgr *mgr = (cjpeg_error_mgr *)cinfo->err;
        char buffer[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, buffer);
        set_message(mgr->err, mgr->errlen, buffer);
    }
    cinfo->err->num_warnings++;
}

static void on_output_message(j_common_ptr cinfo) { (void)cinfo; }

static struct jpeg_error_mgr *init_error_mgr(cjpeg_error_mgr *mgr, char *err, size_t errlen) {
    jpeg_std_error(&mgr->pub);
    mgr->pub.error_exit = on_error_exit;
    mgr->pub.emit_message = on_emit_message;
    mgr->pub.output_message = on_output_message;
    mgr->err = err;
    mgr->errlen = errlen;
    mgr->too_big = 0;
    return &mgr->pub;
}

static void on_progress(j_common_ptr cinfo) {
    if (!cinfo->is_decompressor) return;
    j_decompress_ptr dinfo = (j_decompress_ptr)cinfo;
    if (dinfo->input_scan_number > CJPEG_MAX_SCANS) {
        cjpeg_error_mgr *mgr = (cjpeg_error_mgr *)cinfo->err;
        if (mgr->err != NULL && mgr->errlen > 0)
            snprintf(mgr->err, mgr->errlen, "too many progressive scans (more than %d)",
                     CJPEG_MAX_SCANS);
        longjmp(mgr->jump, 1);
    }
}

/* ---- EXIF orientation -------------------------------------------------- */

static unsigned read16(const JOCTET *p, int little) {
    return little ? (unsigned)p[0] | ((unsigned)p[1] << 8) : ((unsigned)p[0] << 8) | p[1];
}

static unsigned long read32(const JOCTET *p, int little) {
    return little ? (unsigned long)p[0] | ((unsigned long)p[1] << 8) |
                        ((unsigned long)p[2] << 16) | ((unsigned long)p[3] << 24)
                  : ((unsigned long)p[0] << 24) | ((unsigned long)p[1] << 16) |
                        ((unsigned long)p[2] << 8) | (unsigned long)p[3];
}

/* Returns the orientation tag (0x0112) of IFD0 in an APP1 Exif marker, or 1. */
static int exif_orientation(jpeg_saved_marker_ptr marker) {
    for (; marker != NULL; marker = marker->next) {
        if (marker->marker != JPEG_APP0 + 1 || marker->data_length < 14) continue;
        const JOCTET *d = marker->data;
        if (memcmp(d, "Exif\0\0", 6) != 0) continue;
        const JOCTET *tiff = d + 6;
        unsigned long len = marker->data_length - 6;
        int little;
        if (tiff[0] == 'I' && tiff[1] == 'I') little = 1;
        else if (tiff[0] == 'M' && tiff[1] == 'M') little = 0;
        else continue;
        if (read16(tiff + 2, little) != 42) continue;
        unsigned long ifd = read32(tiff + 4, little);
        if (ifd > len || len - ifd < 2) continue;
        unsigned count = read16(tiff + ifd, little);
        for (unsigned i = 0; i < count; i++) {
            unsigned long entry = ifd + 2 + 12ul * i;
            if (entry > len || len - entry < 12) break;
            if (read16(tiff + entry, little) != 0x0112) continue;
            if (read16(tiff + entry + 2, little) != 3) break; /* must be SHORT */
            unsigned value = read16(tiff + entry + 8, little);
            return (value >= 1 && value <= 8) ? (int)value : 1;
        }
    }
    return 1;
}

/* ---- decoding ---------------------------------------------------------- */

int cjpeg_decode(const unsigned char *data, size_t size,
                 unsigned char **out, int *width, int *height, int *orientation,
                 long max_pixels, long max_side,
                 char *err, size_t errlen) {
    struct jpeg_decompress_struct cinfo;
    cjpeg_error_mgr jerr;
    struct jpeg_progress_mgr progress;
    unsigned char *volatile pixels = NULL;
    unsigned char *volatile cmyk_row = NULL;

    if (out == NULL || width == NULL || height == NULL || orientation == NULL) {
        set_message(err, errlen, "invalid arguments");
        return CJPEG_BAD_ARGUMENT;
    }
    *out = NULL;
    *width = 0;
    *height = 0;
    *orientation = 1;
    set_message(err, errlen, "");
    if (data == NULL || size == 0) {
        set_message(err, errlen, "no JPEG data");
        return CJPEG_CORRUPT;
    }

    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = init_error_mgr(&jerr, err, errlen);
    if (setjmp(jerr.jump)) {
        int status = CJPEG_CORRUPT;
        if (jerr.too_big) {
            *width = (int)cinfo.image_width;
            *height = (int)cinfo.image_height;
            snprintf(err, errlen, "image is %ux%u pixels", (unsigned)cinfo.image_width,
                     (unsigned)cinfo.image_height);
            status = CJPEG_TOO_LARGE;
        }
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(cmyk_row);
        return status;
    }
    jpeg_create_decompress(&cinfo);
    memset(&progress, 0, sizeof progress);
    progress.progress_monitor = on_progress;
    cinfo.progress = &progress;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);

    long w = (long)cinfo.image_width, h = (long)cinfo.image_height;
    *width = (int)w;
    *height = (int)h;
    if (w > max_side || h > max_side || (w > 0 && h > max_pixels / w)) {
        snprintf(err, errlen, "image is %ldx%ld pixels", w, h);
        jpeg_destroy_decompress(&cinfo);
        return CJPEG_TOO_LARGE;
    }

    int is_cmyk = 0;
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
    case JCS_YCbCr:
    case JCS_RGB:
        cinfo.out_color_space = JCS_RGB; /* libjpeg-turbo replicates grey */
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo.out_color_space = JCS_CMYK;
        is_cmyk = 1;
        break;
    default:
        snprintf(err, errlen, "unsupported JPEG colour space with %d components",
                 cinfo.num_components);
        jpeg_destroy_decompress(&cinfo);
        return CJPEG_UNSUPPORTED;
    }
    *orientation = exif_orientation(cinfo.marker_list);

    jpeg_start_decompress(&cinfo);
    int comps = cinfo.output_components;
    if (comps != (is_cmyk ? 4 : 3)) {
        snprintf(err, errlen, "unexpected number of output components (%d)", comps);
        jpeg_destroy_decompress(&cinfo);
        return CJPEG_UNSUPPORTED;
    }
    size_t ow = cinfo.output_width, oh = cinfo.output_height;
    pixels = (unsigned char *)malloc(ow * oh * 3 > 0 ? ow * oh * 3 : 1);
    if (is_cmyk) cmyk_row = (unsigned char *)malloc(ow * 4 > 0 ? ow * 4 : 1);
    if (pixels == NULL || (is_cmyk && cmyk_row == NULL)) {
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(cmyk_row);
        set_message(err, errlen, "out of memory");
        return CJPEG_NO_MEMORY;
    }
    /* Adobe writes CMYK inverted (255 = no ink); plain CMYK files are not. */
    int inverted = cinfo.saw_Adobe_marker;
    while (cinfo.output_scanline < oh) {
        unsigned char *dst = pixels + (size_t)cinfo.output_scanline * ow * 3;
        if (!is_cmyk) {
            JSAMPROW row = dst;
            jpeg_read_scanlines(&cinfo, &row, 1);
            continue;
        }
        JSAMPROW row = cmyk_row;
        jpeg_read_scanlines(&cinfo, &row, 1);
        for (size_t x = 0; x < ow; x++) {
            unsigned c = cmyk_row[4 * x], m = cmyk_row[4 * x + 1];
            unsigned y = cmyk_row[4 * x + 2], k = cmyk_row[4 * x + 3];
            if (!inverted) {
                c = 255 - c;
                m = 255 - m;
                y = 255 - y;
                k = 255 - k;
            }
            dst[3 * x] = (unsigned char)((c * k + 127) / 255);
            dst[3 * x + 1] = (unsigned char)((m * k + 127) / 255);
            dst[3 * x + 2] = (unsigned char)((y * k + 127) / 255);
        }
    }
    jpeg_finish_decompress(&cinfo);
    if (jerr.pub.num_warnings > 1 && err != NULL && errlen > 0) {
        size_t used = strlen(err);
        if (used + 1 < errlen)
            snprintf(err + used, errlen - used, " (and %ld more warning%s)", jerr.pub.num_warnings - 1,
                     jerr.pub.num_warnings > 2 ? "s" : "");
    }
    jpeg_destroy_decompress(&cinfo);
    free(cmyk_row);
    *width = (int)ow;
    *height = (int)oh;
    *out = pixels;
    return CJPEG_OK;
}

/* ---- encoding ---------------------------------------------------------- */

/* A growable in-memory destination that we own, so the error path can free it
   (jpeg_mem_dest's internal buffer is unreachable after a longjmp). */
typedef struct {
    struct jpeg_destination_mgr pub; /* must be first */
    unsigned char *buffer;
    size_t capacity;
} cjpeg_dest_mgr;

static void dest_init(j_compress_ptr cinfo) {
    cjpeg_dest_mgr *dest = (cjpeg_dest_mgr *)cinfo->dest;
    dest->pub.next_output_byte = dest->buffer;
    dest->pub.free_in_buffer = dest->capacity;
}

static boolean dest_empty(j_compress_ptr cinfo) {
    /* Called when the whole buffer is full, whatever free_in_buffer says. */
    cjpeg_dest_mgr *dest = (cjpeg_dest_mgr *)cinfo->dest;
    size_t grown = dest->capacity * 2;
    unsigned char *bigger = (unsigned char *)realloc(dest->buffer, grown);
    if (bigger == NULL) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 1);
    dest->buffer = bigger;
    dest->pub.next_output_byte = bigger + dest->capacity;
    dest->pub.free_in_buffer = grown - dest->capacity;
    dest->capacity = grown;
    return TRUE;
}

static void dest_term(j_compress_ptr cinfo) { (void)cinfo; }

int cjpeg_encode(const unsigned char *pixels, int width, int height, int components,
                 int quality, int progressive,
                 unsigned char **out, unsigned long *outsize,
                 char *err, size_t errlen) {
    struct jpeg_compress_struct cinfo;
    cjpeg_error_mgr jerr;
    cjpeg_dest_mgr dest;

    if (out == NULL || outsize == NULL || pixels == NULL || width <= 0 || height <= 0 ||
        (components != 1 && components != 3 && components != 4)) {
        set_message(err, errlen, "invalid arguments");
        return CJPEG_BAD_ARGUMENT;
    }
    *out = NULL;
    *outsize = 0;
    set_message(err, errlen, "");

    memset(&dest, 0, sizeof dest);
    dest.capacity = 65536;
    dest.buffer = (unsigned char *)malloc(dest.capacity);
    if (dest.buffer == NULL) {
        set_message(err, errlen, "out of memory");
        return CJPEG_NO_MEMORY;
    }
    dest.pub.init_destination = dest_init;
    dest.pub.empty_output_buffer = dest_empty;
    dest.pub.term_destination = dest_term;

    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = init_error_mgr(&jerr, err, errlen);
    if (setjmp(jerr.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(dest.buffer);
        return CJPEG_CORRUPT;
    }
    jpeg_create_compress(&cinfo);
    cinfo.dest = &dest.pub;
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = components;
    cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&cinfo);
    if (quality < 1) quality = 1;
    if (quality > 100) quality = 100;
    jpeg_set_quality(&cinfo, quality, TRUE);
    if (components == 3 && quality >= 90) {
        cinfo.comp_info[0].h_samp_factor = 1; /* 4:4:4, as ImageMagick does from 90 */
        cinfo.comp_info[0].v_samp_factor = 1;
    }
    cinfo.optimize_coding = TRUE;
    if (progressive) jpeg_simple_progression(&cinfo);

    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * (size_t)components;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    *outsize = (unsigned long)(dest.capacity - dest.pub.free_in_buffer);
    *out = dest.buffer;
    jpeg_destroy_compress(&cinfo);
    return CJPEG_OK;
}

void cjpeg_free(void *buffer) { free(buffer); }
