#ifndef RESTORECHECK_CXML_SHIM_H
#define RESTORECHECK_CXML_SHIM_H
/*
 * The few libxml2 functions the `xml` validator calls, declared here rather than through
 * <libxml/xmlreader.h>: Debian's libxml2 headers include the system's ICU headers, which clash with
 * the ICU module Foundation bundles. Only opaque pointers and ints cross, so no struct layout is
 * copied; the prototypes are libxml2's stable ABI (soname libxml2.so.2) as in its xmlreader.h.
 */
typedef struct _xmlTextReader *xmlTextReaderPtr;
typedef void *xmlTextReaderLocatorPtr;
/* libxml2's xmlParserSeverities: 1 validity warning, 2 validity error, 3 warning, 4 error. */
typedef void (*xmlTextReaderErrorFunc)(void *arg, const char *msg, int severity, xmlTextReaderLocatorPtr locator);

void xmlInitParser(void);
xmlTextReaderPtr xmlReaderForFile(const char *filename, const char *encoding, int options);
int xmlTextReaderRead(xmlTextReaderPtr reader);
void xmlFreeTextReader(xmlTextReaderPtr reader);
void xmlTextReaderSetErrorHandler(xmlTextReaderPtr reader, xmlTextReaderErrorFunc f, void *arg);
int xmlTextReaderLocatorLineNumber(xmlTextReaderLocatorPtr locator);

/* xmlParserOption values used (libxml/parser.h). */
enum { RC_XML_PARSE_NONET = 1 << 11 };
#endif
