#ifndef RESTORECHECK_CLIBCRYPTO_SHIM_H
#define RESTORECHECK_CLIBCRYPTO_SHIM_H
// The EVP interface: SHA-256 with the CPU's SHA instructions where present, and Ed25519 signatures
// for reports; HMAC-SHA-256 for canaries; RAND_bytes for keys.
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/hmac.h>
#endif
