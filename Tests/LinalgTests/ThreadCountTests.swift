import Testing
@testable import Linalg

/// OpenBLAS's thread count after overlapping sections on different threads: the process
/// must not be left on one thread (every later pass would run on one core).
@Suite struct ThreadCountTests {
    @Test func overlappingSingleThreadedSections_restoreTheCountWhenTheLastEnds() {
        var ledger = BLASThreadLedger()
        #expect(ledger.enterSingleThreaded(current: 2) == 1)
        #expect(ledger.enterSingleThreaded(current: 1) == nil)
        #expect(ledger.leaveSingleThreaded() == nil)
        #expect(ledger.leaveSingleThreaded() == 2)
    }

    @Test func allCoresInsideASingleThreadedSection_leavesTheCountToIt() {
        var ledger = BLASThreadLedger()
        #expect(ledger.enterSingleThreaded(current: 1) == 1)
        #expect(ledger.enterAllCores(4, current: 1) == nil)
        #expect(ledger.leaveSingleThreaded() == 4)
    }

    @Test func singleThreadedSectionOpenedInsideAllCores_endsOnThePreviousCount() {
        var ledger = BLASThreadLedger()
        #expect(ledger.enterAllCores(4, current: 2) == 4)
        #expect(ledger.enterSingleThreaded(current: 4) == 1)
        #expect(ledger.leaveAllCores(previous: 2) == nil)
        #expect(ledger.leaveSingleThreaded() == 2)
    }
}
