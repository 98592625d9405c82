// The module is its header's inline function; SwiftPM wants one source file per C target.
#include "tamis_bytescan.h"
