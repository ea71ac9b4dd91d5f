import Foundation
import TrialDomain
import TrialExports
import TrialTestSupport
import XCTest

final class AtomFeedTests: XCTestCase {
    let updated = try! Timestamp(parsing: "2026-11-21T19:37:24.123456Z")

    func entries() -> (entries: [FeedEntry], events: [RecordedEvent]) {
        let p = Programme.build()
        let names = Dictionary(uniqueKeysWithValues: p.views.map { ($0.summary.key, $0.summary.displayName) })
        let severities: [FeedEntry.Severity?] = [.critical, .notable, .minor, nil]
        let entries = p.events.enumerated().map { i, e in
            FeedEntry(event: e, trialName: names[e.trial]!, severity: severities[i % 4])
        }
        return (entries, p.events)
    }

    func testAnEntryReadsAsWritten() {
        var b = TrialBuilder("HARMONi-A")
        b.add(
            .readout, "2024",
            #"{"kind": "primary", "outcome": "positive", "endpoints": ["PFS"], "results": [{"endpoint": "PFS", "hazardRatio": {"value": 0.46}}]}"#,
            source: "https://ascopubs.org/doi/x?a=1&b=2", by: "alice")
        let e = b.events[0]
        let feed = AtomFeed.render(
            [FeedEntry(event: e, trialName: "HARMONi-A", severity: .critical)],
            feedID: "urn:uuid:4b1e0c56-0a43-4c4f-9d8e-2f1b6c0a9e11",
            title: "trialtrack log", updated: updated, selfURL: "https://example.org/feed.atom")
        let id = e.id
        XCTAssertEqual(
            feed,
            """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
              <id>urn:uuid:4b1e0c56-0a43-4c4f-9d8e-2f1b6c0a9e11</id>
              <title type="text">trialtrack log</title>
              <updated>2026-11-21T19:37:24.123456Z</updated>
              <link rel="self" type="application/atom+xml" href="https://example.org/feed.atom"/>
              <author><name>trialtrack</name></author>
              <generator>trialtrack</generator>
              <entry>
                <id>urn:uuid:\(id)</id>
                <title type="text">HARMONi-A: readout — PFS, primary endpoint met</title>
                <updated>\(e.recorded)</updated>
                <published>\(e.recorded)</published>
                <author><name>alice</name></author>
                <category scheme="urn:trialtrack:severity" term="critical" label="critical change"/>
                <category scheme="urn:trialtrack:type" term="readout"/>
                <link rel="related" href="https://ascopubs.org/doi/x?a=1&amp;b=2"/>
                <content type="text">PFS, primary endpoint met
            Result: PFS, HR 0.46

            Trial: HARMONi-A
            Occurred: 2024
            Type: readout
            Severity: critical
            Seq: \(e.seq) (version 1 of the trial)
            Recorded: \(e.recorded) by alice
            Source: https://ascopubs.org/doi/x?a=1&amp;b=2</content>
              </entry>
            </feed>

            """)
    }

    func testEscapingAndForbiddenCharacters() {
        var b = TrialBuilder("T<1>")
        b.add(
            .presented, "2025", "{\"venue\": \"A & B <c> \\\"q\\\" 'a' \\u0001\\u0008\\u000b\\u001f bell\\u0007 ok\"}",
            source: "not a URL & <b>", by: "o'neil")
        let feed = AtomFeed.render(
            [FeedEntry(event: b.events[0], trialName: "T<1>")], feedID: "tag:example.org,2026:log", title: "a&b",
            updated: updated, selfURL: nil)
        XCTAssertTrue(
            feed.contains(
                "<title type=\"text\">T&lt;1&gt;: presented — A &amp; B &lt;c&gt; \"q\" 'a' \u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD} bell\u{FFFD} ok</title>"
            ), feed)
        XCTAssertFalse(
            feed.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "no control character but line feeds")
        XCTAssertFalse(feed.contains("rel=\"related\""), "a source that is not a URL is not a link")
        XCTAssertTrue(feed.contains("Source: not a URL &amp; &lt;b&gt;"), feed)
        XCTAssertFalse(feed.contains("<link rel=\"self\""))
    }

    func testOnlyHTTPSourcesAreLinks() {
        for (source, linked) in [
            ("https://a.example/x", true), ("http://a.example/x", true), ("HTTPS://A.EXAMPLE/", true),
            ("ftp://a.example/x", false), ("javascript:alert(1)", false), ("https://a.example/x y", false),
            ("see https://a.example/", false), ("https://", false),
        ] {
            var b = TrialBuilder("T")
            b.add(.presented, "2025", #"{"venue": "ESMO"}"#, source: source)
            let feed = AtomFeed.render(
                [FeedEntry(event: b.events[0], trialName: "T")], feedID: "urn:x", title: "t", updated: updated,
                selfURL: nil)
            XCTAssertEqual(feed.contains("<link rel=\"related\""), linked, source)
            XCTAssertTrue(feed.contains("Source: "), source)
        }
    }

    func testIDsAreTheEventsUUIDs() {
        let (list, events) = entries()
        let feed = AtomFeed.render(list, feedID: "urn:x", title: "t", updated: updated, selfURL: nil)
        for e in events { XCTAssertTrue(feed.contains("<id>urn:uuid:\(e.id)</id>"), e.id) }
        // Upper case ids (as a client may send them) are written in lower case, as the log keeps them.
        var upper = events[0]
        upper.id = upper.id.uppercased()
        XCTAssertEqual(AtomFeed.entryID(upper, feedID: "urn:x"), "urn:uuid:\(events[0].id)")
        var odd = events[0]
        odd.id = "id-1"
        XCTAssertEqual(
            AtomFeed.entryID(odd, feedID: "https://example.org/feed"), "https://example.org/feed#event-\(odd.seq)")
    }

    func testAnEmptyFeedIsStillAFeed() throws {
        let parsed = try runPython(
            Self.reader, on: AtomFeed.render([], feedID: "urn:x", title: "nothing yet", updated: updated, selfURL: nil),
            modules: ["feedparser"], suffix: ".atom")
        guard !parsed.isEmpty else { return }
        XCTAssertEqual(parsed["bozo"] as? Bool, false, "\(parsed["bozoException"] ?? "")")
        XCTAssertEqual(parsed["title"] as? String, "nothing yet")
        XCTAssertEqual((parsed["entries"] as? [Any])?.count, 0)
    }

    // MARK: Independent readers: feedparser and xml.etree

    static let reader = #"""
        import sys, json, feedparser, xml.etree.ElementTree as ET
        ET.parse(sys.argv[1])  # well-formed XML, or an exception and a non-zero exit
        d = feedparser.parse(sys.argv[1])
        out = {"bozo": bool(d.bozo), "bozoException": str(d.get("bozo_exception", "")), "version": d.version,
               "title": d.feed.get("title"), "id": d.feed.get("id"),
               "links": [[l.get("rel"), l.get("href")] for l in d.feed.get("links", [])], "entries": []}
        for e in d.entries:
            out["entries"].append({
                "id": e.get("id"), "title": e.get("title"), "author": e.get("author"),
                "updated": e.get("updated"), "published": e.get("published"),
                "tags": [[t.get("scheme"), t.get("term")] for t in e.get("tags", [])],
                "links": [[l.get("rel"), l.get("href")] for l in e.get("links", [])],
                "content": e.content[0].value if e.get("content") else None,
                "contentType": e.content[0].type if e.get("content") else None,
            })
        print(json.dumps(out))
        """#

    func testFeedparserReadsEveryEntry() throws {
        var (list, _) = entries()
        // A hostile one too: forbidden characters, markup, quotes.
        var b = TrialBuilder("HARMONi-X")
        b.add(
            .presented, "2026-01", "{\"venue\": \"<b>bold</b> & \\\"quoted\\\" \\u0000\\u001b[31m\"}",
            source: "https://example.org/?q=\"x\"&r=<y>", by: "<root>")
        list.append(FeedEntry(event: b.events[0], trialName: "HARMONi-X <&>", severity: .notable))
        let feed = AtomFeed.render(
            list, feedID: "urn:uuid:4b1e0c56-0a43-4c4f-9d8e-2f1b6c0a9e11", title: "trialtrack — log & more",
            updated: updated, selfURL: "https://example.org/feed.atom?x=1&y=2")
        let parsed = try runPython(Self.reader, on: feed, modules: ["feedparser"], suffix: ".atom")
        guard !parsed.isEmpty else { return }
        XCTAssertEqual(parsed["bozo"] as? Bool, false, "\(parsed["bozoException"] ?? "")")
        XCTAssertEqual(parsed["version"] as? String, "atom10")
        XCTAssertEqual(parsed["title"] as? String, "trialtrack — log & more")
        XCTAssertEqual(parsed["id"] as? String, "urn:uuid:4b1e0c56-0a43-4c4f-9d8e-2f1b6c0a9e11")
        XCTAssertEqual((parsed["links"] as? [[String]])?.first, ["self", "https://example.org/feed.atom?x=1&y=2"])
        let got = parsed["entries"] as! [[String: Any]]
        XCTAssertEqual(got.count, list.count)
        for (f, e) in zip(list, got) {
            XCTAssertEqual(e["id"] as? String, "urn:uuid:\(f.event.id)")
            let expectedTitle = f.title.unicodeScalars.map { $0.value < 0x20 ? "\u{FFFD}" : String($0) }.joined()
            XCTAssertEqual(e["title"] as? String, expectedTitle)
            XCTAssertEqual(e["author"] as? String, f.event.recordedBy)
            XCTAssertEqual(e["updated"] as? String, f.event.recorded.description)
            XCTAssertEqual(e["published"] as? String, f.event.recorded.description)
            var tags = [["urn:trialtrack:type", f.event.type.rawValue]]
            if let s = f.severity { tags.insert(["urn:trialtrack:severity", s.rawValue], at: 0) }
            XCTAssertEqual(e["tags"] as? [[String]], tags)
            let related = (e["links"] as? [[String]] ?? []).filter { $0[0] == "related" }.map { $0[1] }
            if let s = f.event.source, s.hasPrefix("https://"), !s.contains("<") {
                XCTAssertEqual(related, [s])
            } else {
                XCTAssertEqual(related, [], "\(f.event.source ?? "no source")")
            }
            XCTAssertEqual(e["contentType"] as? String, "text/plain")
            let content = e["content"] as? String ?? ""
            XCTAssertTrue(content.contains("Occurred: \(f.event.occurred)"), content)
            XCTAssertTrue(content.contains("Seq: \(f.event.seq)"), content)
            XCTAssertTrue(content.contains("Trial: \(f.trialName)"), content)
        }
        XCTAssertEqual(
            got.last?["title"] as? String, "HARMONi-X <&>: presented — <b>bold</b> & \"quoted\" \u{FFFD}\u{FFFD}[31m")
    }
}
