import Foundation

/// Dates as the reader reads them without a script to localise them: ISO 8601 with the
/// offset written out (`2026-12-02T21:15:03+01:00`) in the zone the report is made in
/// (`TZ`), and the age relative to when the report was made (`3 h before this report`).
public struct ReportDates: Sendable {
    /// When the report was made: the "now" of every relative age.
    public let generatedAt: Date
    public let timeZone: TimeZone

    private let calendar: Calendar

    public init(generatedAt: Date, timeZone: TimeZone = .current) {
        self.generatedAt = generatedAt
        self.timeZone = timeZone
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    /// `2026-12-02T21:15:03+01:00` (`+00:00` for UTC, never `Z`). Written from calendar
    /// fields rather than a DateFormatter, which costs more to make than a report has time
    /// for per date.
    public func iso(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let offset = timeZone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d%@%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!,
                      sign, abs(offset) / 3600, abs(offset) % 3600 / 60)
    }

    /// `3 h before this report`, `just before this report`, `2 d after this report` (clock skew).
    public func relative(_ date: Date) -> String {
        let seconds = generatedAt.timeIntervalSince(date)
        let magnitude = abs(seconds)
        if magnitude < 60 { return "just before this report" }
        let amount: String = switch magnitude {
        case ..<3600: "\(Int(magnitude / 60)) min"
        case ..<172_800: "\(Int(magnitude / 3600)) h"
        default: "\(Int(magnitude / 86_400)) d"
        }
        return amount + (seconds >= 0 ? " before this report" : " after this report")
    }
}
