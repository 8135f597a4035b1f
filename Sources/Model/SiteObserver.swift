import Linalg

/// The inputs of the linear modules a retain profile is built on, as a forward pass
/// reaches them: one call per layer and input, rows are token positions.
///
/// Modules that read the same input share one call (`q/k/v`, `gate/up`), as they share
/// one profile site.
public protocol SiteObserver: AnyObject {
    /// `modules` read `inputs` (`tokens × width`) in layer `layer`.
    func observe(layer: Int, modules: [String], inputs: MatrixView<Float>)
}
