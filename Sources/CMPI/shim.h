#ifndef NEURALART_CMPI_SHIM_H
#define NEURALART_CMPI_SHIM_H
#include <mpi.h>
/* Open MPI's predefined handles are macros over addresses of globals, which Swift cannot
   import: these return them. */
static inline MPI_Comm neuralart_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype neuralart_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype neuralart_mpi_double(void) { return MPI_DOUBLE; }
#endif
