#ifndef NEURALART_CJPEG_H
#define NEURALART_CJPEG_H
/* Placeholder: the libjpeg shim with a setjmp-based error manager lands with ImageIO. */
int cjpeg_placeholder(void);
#endif
