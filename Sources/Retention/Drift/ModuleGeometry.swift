import Linalg
import SafeTensors

/// How a profiled weight maps to `W ∈ R^{m×d}` (`y = W x`): its stored shape and layout.
struct ModuleGeometry {
    let outputs: Int  // m
    let inputs: Int   // d
    let layout: WeightLayout

    var elementCount: Int { outputs * inputs }

    /// Checks a stored weight against its module's site.
    init(module: ProfiledModule, tensor: TensorInfo, site: SiteProfile, checkpoint: String) throws(DriftError) {
        guard tensor.shape.count == 2 else {
            throw DriftError(checkpoint: checkpoint, reason: .moduleShape(name: module.weight, shape: tensor.shape, siteDimension: site.dimension, layout: module.layout))
        }
        (outputs, inputs) = module.layout == .outIn ? (tensor.shape[0], tensor.shape[1]) : (tensor.shape[1], tensor.shape[0])
        layout = module.layout
        guard inputs == site.dimension else {
            throw DriftError(checkpoint: checkpoint, reason: .moduleShape(name: module.weight, shape: tensor.shape, siteDimension: site.dimension, layout: module.layout))
        }
        guard tensor.dtype.isConvertibleToFloat32 else {
            throw DriftError(checkpoint: checkpoint, reason: .unsupportedDType(name: tensor.name, dtype: tensor.dtype))
        }
    }
}
