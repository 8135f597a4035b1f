import Foundation
import Testing
@testable import SVGCharts

/// Scales map values to pixels and back, with round tick values.
struct ScaleTests {
    @Test func linear_mapsEndsAndInverts() {
        let scale = LinearScale(domain: 0...10, range: (100, 0))
        #expect(scale.position(0) == 100)
        #expect(scale.position(10) == 0)
        #expect(scale.position(2.5) == 75)
        #expect(abs(scale.value(at: scale.position(7.3)) - 7.3) < 1e-12)
    }

    @Test func nice_widensToRoundTicks() {
        let scale = LinearScale.nice(0.013...0.87, range: (0, 500))
        #expect(scale.domain == 0...1)
        #expect(scale.ticks(5) == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(LinearScale.nice(100...2900, range: (0, 1), ticks: 8).ticks(8) == [0, 500, 1000, 1500, 2000, 2500, 3000])
    }

    @Test func ticks_areCleanDecimals() {
        let ticks = LinearScale(domain: 0...0.3, range: (0, 1)).ticks(3)
        #expect(ticks == [0, 0.1, 0.2, 0.3])
        #expect(ticks.map { NiceNumbers.label($0, step: 0.1) } == ["0", "0.1", "0.2", "0.3"])
    }

    @Test func zeroWidthDomain_stillHasAPlace() {
        let scale = LinearScale.nice(5...5, range: (0, 100))
        #expect(scale.domain.contains(5))
        #expect(scale.position(5) > 0 && scale.position(5) < 100)
    }

    @Test func log_coversWholeDecadesAndInverts() {
        let scale = LogScale(domain: 0.0003...0.7, range: (300, 0))
        #expect(scale.domain == 0.0001...1)
        #expect(scale.ticks(5) == [0.0001, 0.001, 0.01, 0.1, 1])
        #expect(abs(scale.position(0.01) - 150) < 1e-9)
        #expect(abs(scale.value(at: scale.position(0.042)) - 0.042) < 1e-12)
    }

    @Test func labels_areShort() {
        #expect(NiceNumbers.label(1200, step: 100) == "1200")
        #expect(NiceNumbers.label(0.05, step: 0.01) == "0.05")
        #expect(NiceNumbers.label(0.00001) == "1e-5")
        #expect(NiceNumbers.label(0) == "0")
    }
}

/// The colour scale runs dark to light, so it survives greyscale printing.
struct ColourScaleTests {
    @Test func viridis_isMonotoneInLightness() {
        let lightness = stride(from: 0.0, through: 1.0, by: 0.01).map { ColourScale.viridis.luminance($0) }
        #expect(zip(lightness, lightness.dropFirst()).allSatisfy { $0 <= $1 + 0.004 })
        #expect(lightness.last! - lightness.first! > 0.7)
    }

    @Test func ends_andClamping() {
        #expect(ColourScale.viridis.colour(0) == "#440154")
        #expect(ColourScale.viridis.colour(1) == "#fde725")
        #expect(ColourScale.viridis.colour(7) == "#fde725")
        #expect(ColourScale.viridis.colour(.nan) == "#440154")
    }
}
