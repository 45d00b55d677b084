#ifndef RESTORECHECK_CLIBCRYPTO_SHIM_H
#define RESTORECHECK_CLIBCRYPTO_SHIM_H
// The EVP interface: SHA-256 with the CPU's SHA instructions where present, and Ed25519 signatures
// for reports; RAND_bytes for the signing key's seed.
#include <openssl/evp.h>
#include <openssl/rand.h>
#endif
