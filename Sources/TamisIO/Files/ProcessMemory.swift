import CTamisSys

/// The process's memory as the system sees it.
public enum ProcessMemory {
    /// Hands the heap's free pages back to the system. The allocator keeps what a stage freed
    /// (match tables, candidate pairs) for reuse, so without this the resident size only grows
    /// from stage to stage. Costs a walk of the heap's free lists: milliseconds.
    public static func releaseFreePages() {
        _ = tamis_release_free_memory()
    }
}
