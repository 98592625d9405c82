#ifndef TAMIS_CLIBXML2_SHIM_H
#define TAMIS_CLIBXML2_SHIM_H
// Debian's libxml2 headers include ICU's unicode/ucnv.h when LIBXML_ICU_ENABLED is set,
// which clashes with Foundation's private ICU copy in modules that import both.
// We never use libxml2's ICU API, so hide it.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlerror.h>
#include <libxml/parserInternals.h>
#endif
