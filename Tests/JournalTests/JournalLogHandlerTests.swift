import Foundation
import Journal
import Logging
import TestSupport
import Testing

/// The journald handler, against the real journald.
struct JournalLogHandlerTests {
    @Test func entry_arrivesWithPriorityIdentifierAndMetadataFields() throws {
        try #require(JournalProcess.ensureRunning(), "needs journald (run the tests as root, as CI does)")
        let marker = UUID().uuidString
        var handler = JournalLogHandler(label: "test", identifier: "retaind-test")
        handler.metadata["retaind.watch"] = "w1"
        let logger = Logger(label: "test") { _ in handler }
        logger.warning("restored something", metadata: [
            "message_id": "15566e7415ab4e43ad3972e3cd21270c", "retaind.drift": "0.0031", "retaind.test-marker": "\(marker)",
        ])
        let entry = try JournalProcess.waitForEntry(field: "RETAIND_TEST_MARKER", value: marker)
        #expect(entry["MESSAGE"] == "restored something")
        #expect(entry["PRIORITY"] == "4")
        #expect(entry["SYSLOG_IDENTIFIER"] == "retaind-test")
        #expect(entry["MESSAGE_ID"] == "15566e7415ab4e43ad3972e3cd21270c")
        #expect(entry["RETAIND_DRIFT"] == "0.0031")
        #expect(entry["RETAIND_WATCH"] == "w1")
        #expect(entry["CODE_FILE"]?.hasSuffix("JournalLogHandlerTests.swift") == true)
    }

    @Test func levels_mapToSyslogPriorities() {
        let expected: [(Logger.Level, Int)] = [(.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2)]
        for (level, priority) in expected { #expect(JournalLogHandler.priority(of: level) == priority) }
    }

    @Test func multiLineAndBinaryValues_survive() throws {
        try #require(JournalProcess.ensureRunning(), "needs journald")
        let marker = UUID().uuidString
        let logger = Logger(label: "test") { JournalLogHandler(label: $0, identifier: "retaind-test") }
        logger.error("line one\nline two", metadata: ["retaind.test-marker": "\(marker)", "retaind.error": "a = b\nc"])
        let entry = try JournalProcess.waitForEntry(field: "RETAIND_TEST_MARKER", value: marker)
        #expect(entry["MESSAGE"] == "line one\nline two")
        #expect(entry["RETAIND_ERROR"] == "a = b\nc")
        #expect(entry["PRIORITY"] == "3")
    }
}

/// The catalog shipped in `systemd/` explains every MESSAGE_ID, as journalctl reads it.
struct JournalCatalogTests {
    @Test func everyMessageID_hasACatalogEntryJournalctlAccepts() throws {
        let root = NSTemporaryDirectory() + "retaind-catalog-" + UUID().uuidString
        let catalogDirectory = root + "/usr/lib/systemd/catalog"
        try FileManager.default.createDirectory(atPath: catalogDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.copyItem(atPath: PythonScript.repositoryRoot + "/systemd/retaind.catalog",
                                         toPath: catalogDirectory + "/retaind.catalog")
        _ = try JournalProcess.journalctl(["--root=\(root)", "--update-catalog"])
        let listed = try JournalProcess.journalctl(["--root=\(root)", "--list-catalog"])
        for id in MessageID.allCases {
            #expect(listed.contains("\(id.rawValue) retaind: "), "no catalog entry for \(id)")
        }
        #expect(Set(MessageID.allCases.map(\.rawValue)).count == MessageID.allCases.count)
    }
}
