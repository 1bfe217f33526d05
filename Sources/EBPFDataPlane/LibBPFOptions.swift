/// Runs `body` with one of libbpf's option structs (`bpf_tc_hook`, `bpf_tc_opts`...)
/// zeroed whole, padding included: libbpf refuses a struct whose bytes past its last
/// known field are not zero, and a Swift value's padding is whatever was there.
/// `body` sets the fields it needs, `sz` among them, one by one.
func withZeroedOptions<Options, Result>(_ type: Options.Type, _ body: (UnsafeMutablePointer<Options>) throws -> Result) rethrows -> Result {
    let memory = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<Options>.stride, alignment: MemoryLayout<Options>.alignment)
    defer { memory.deallocate() }
    memory.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<Options>.stride)
    return try body(memory.assumingMemoryBound(to: Options.self))
}
