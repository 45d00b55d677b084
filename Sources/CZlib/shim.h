#ifndef RESTORECHECK_CZLIB_SHIM_H
#define RESTORECHECK_CZLIB_SHIM_H
#include <zlib.h>
#endif
