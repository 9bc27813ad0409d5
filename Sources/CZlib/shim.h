#ifndef NEURALART_CZLIB_SHIM_H
#define NEURALART_CZLIB_SHIM_H
#include <zlib.h>
#endif
