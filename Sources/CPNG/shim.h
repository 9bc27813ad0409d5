#ifndef NEURALART_CPNG_SHIM_H
#define NEURALART_CPNG_SHIM_H
#include <png.h>
#endif
