#if canImport(Glibc)
import Glibc
#endif

/// Deterministic crash points for the crash-safety tests: with `TAMIS_FAULT=<point>` in the
/// environment, the process kills itself with SIGKILL when the run reaches that point.
/// Points: `after-ingest`, `outputs-staged`, `db-write`, `db-commit`, `before-output-swap`.
enum FaultInjection {
    static let point: String? = getenv("TAMIS_FAULT").map { String(cString: $0) }

    static func reach(_ name: String) {
        if point == name { kill(getpid(), SIGKILL) }
    }
}
