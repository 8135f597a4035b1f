import ServiceLifecycle

/// Runs ``CentralDelivery`` until graceful shutdown; without `[store.central]` it only
/// waits for a reload that adds one.
struct CentralDeliveryService: Service {
    let delivery: CentralDelivery

    func run() async throws {
        await cancelWhenGracefulShutdown { await delivery.run() }
    }
}
