#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// A thread of its own for a background pass (not one of Dispatch's pool), so what the
/// pass changes about its thread — its nice value — ends with it.
enum DedicatedThread {
    private final class Body: @unchecked Sendable {  // handed to exactly one thread
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Runs `body` on a new detached thread; `group` is entered now and left when it ends.
    static func start(group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
        group.enter()
        let box = Unmanaged.passRetained(Body { body(); group.leave() }).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { argument in
            Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, box)
        if started == 0 {
            pthread_detach(thread)
        } else {
            // No thread to be had: run it on Dispatch's pool instead.
            let body = Unmanaged<Body>.fromOpaque(box).takeRetainedValue()
            DispatchQueue.global().async { body.run() }
        }
    }
}
