#ifndef RESTORECHECK_CLIBCRYPTO_SHIM_H
#define RESTORECHECK_CLIBCRYPTO_SHIM_H
// Only the EVP digest interface: SHA-256 with the CPU's SHA instructions where present.
#include <openssl/evp.h>
#endif
