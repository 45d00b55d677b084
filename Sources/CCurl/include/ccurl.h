#ifndef RESTORECHECK_CCURL_H
#define RESTORECHECK_CCURL_H

#include <curl/curl.h>

// libcurl's curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: these
// fixed-argument wrappers are the only way the ObjectStorage module reaches them (as CSystemShim
// does for glibc's variadic calls).

typedef size_t (*rc_curl_data_callback)(char *data, size_t size, size_t count, void *context);

CURLcode rc_curl_set_long(CURL *handle, CURLoption option, long value);
CURLcode rc_curl_set_string(CURL *handle, CURLoption option, const char *value);
CURLcode rc_curl_set_pointer(CURL *handle, CURLoption option, void *value);
CURLcode rc_curl_set_slist(CURL *handle, CURLoption option, struct curl_slist *value);
/// CURLOPT_WRITEFUNCTION or CURLOPT_HEADERFUNCTION with its data pointer.
CURLcode rc_curl_set_callback(CURL *handle, CURLoption function, rc_curl_data_callback callback,
                              CURLoption data, void *context);
CURLcode rc_curl_get_long(CURL *handle, CURLINFO info, long *value);
CURLcode rc_curl_get_double(CURL *handle, CURLINFO info, double *value);

#endif
