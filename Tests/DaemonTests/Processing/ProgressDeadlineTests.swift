@testable import Daemon
import Testing

/// The deadline of the step in progress, on a clock the test moves.
struct ProgressDeadlineTests {
    @Test func aStepPastItsAllowance_missesTheDeadline() {
        let clock = TestClock()
        let deadline = ProgressDeadline(now: clock.reading)
        #expect(deadline.isMet, "idle")
        deadline.begin(weightBytes: 2_000_000_000)
        #expect(ProgressDeadline.allowance(weightBytes: 2_000_000_000) == 160, "2 min + 20 s per GB")
        clock.advance(by: 159)
        #expect(deadline.isMet)
        clock.advance(by: 2)
        #expect(!deadline.isMet, "stuck: the watchdog stops being fed")
    }

    @Test func eachLongStep_getsAFreshAllowance_andTheEndClearsIt() {
        let clock = TestClock()
        let deadline = ProgressDeadline(now: clock.reading)
        deadline.begin(weightBytes: 0)
        clock.advance(by: 100)
        deadline.refresh()
        clock.advance(by: 100)
        #expect(deadline.isMet, "200 s in, but the second step started 100 s ago")
        clock.advance(by: 30)
        #expect(!deadline.isMet)
        deadline.end()
        #expect(deadline.isMet)
    }
}
