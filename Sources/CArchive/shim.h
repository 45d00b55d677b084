#ifndef RESTORECHECK_CARCHIVE_SHIM_H
#define RESTORECHECK_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#endif
