import History
import Testing
@testable import Report

/// Module names become heatmap cells by layer and kind.
struct ModuleGridTests {
    func module(_ name: String, _ rho: Double) -> ModuleRecord {
        ModuleRecord(checkpointID: 1, name: name, site: "s", rho: rho, beta: 0, energy: 0, referenceEnergy: 1, energyUpper: 0)
    }

    @Test func position_readsLayerAndKind() {
        #expect(ModuleGrid.position(of: "model.layers.3.self_attn.q_proj")! == (3, "q"))
        #expect(ModuleGrid.position(of: "model.layers.12.mlp.down_proj")! == (12, "down"))
        #expect(ModuleGrid.position(of: "transformer.h.0.attn.c_attn.weight")! == (0, "c_attn"))
        #expect(ModuleGrid.position(of: "lm_head") == nil)
        #expect(ModuleGrid.position(of: "model.layers.3") == nil)
    }

    @Test func grid_ordersKindsConventionally_andKeepsGaps() {
        let grid = ModuleGrid([module("model.layers.1.mlp.up_proj", 0.2), module("model.layers.0.self_attn.v_proj", 0.1),
                               module("model.layers.0.self_attn.q_proj", 0.3), module("model.layers.1.extra.zeta", 0.4),
                               module("lm_head", 0.5)])
        #expect(grid.layers == [0, 1])
        #expect(grid.kinds == ["q", "v", "up", "zeta"])
        #expect(grid.cells[0][0]?.rho == 0.3 && grid.cells[0][1] == nil)
        #expect(grid.cells[2][1]?.rho == 0.2)
        #expect(grid.outside.map(\.name) == ["lm_head"])
    }
}
