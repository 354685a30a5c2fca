// cblas.h comes from OpenBLAS (pkg-config openblas); lapacke.h from Debian's liblapacke-dev.
#include <cblas.h>
#include <lapacke.h>

// OpenBLAS introspection (declared in OpenBLAS's cblas.h too, repeated here for older headers).
char *openblas_get_config(void);
char *openblas_get_corename(void);
int openblas_get_num_threads(void);
void openblas_set_num_threads(int num_threads);
