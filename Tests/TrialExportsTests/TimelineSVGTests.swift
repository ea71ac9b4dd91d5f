import Foundation
import TrialDomain
import TrialExports
import TrialTestSupport
import XCTest

final class TimelineSVGTests: XCTestCase {
    /// What xml.etree finds in the drawing (an independent XML parser: ill-formed XML fails it).
    static let reader = #"""
        import sys, json, xml.etree.ElementTree as ET
        root = ET.parse(sys.argv[1]).getroot()
        SVG = "{http://www.w3.org/2000/svg}"
        def cls(e): return (e.get("class") or "").split()
        els = list(root.iter())
        ticks = {}
        for e in els:
            if "year-tick" in cls(e): ticks.setdefault(e.get("data-year"), float(e.get("x1")))
        out = {
            "root": root.tag, "width": root.get("width"), "height": root.get("height"),
            "tags": sorted(set(e.tag[len(SVG):] if e.tag.startswith(SVG) else e.tag for e in els)),
            "trials": [e.get("data-key") for e in els if "trial" in cls(e)],
            "rowNames": [[t.text for t in e if "trial-name" in cls(t)] for e in els if "trial" in cls(e)],
            "rowIDs": [[t.text for t in e if "trial-id" in cls(t)] for e in els if "trial" in cls(e)],
            "milestones": [[e.get("data-seq"), e.get("data-type")] for e in els if "milestone" in cls(e)],
            "forecasts": [[e.get("data-seq"), e.get("data-state"), len([l for l in e if "strike" in cls(l)])] for e in els if "forecast" in cls(e)],
            "statuses": [e.get("data-status") for e in els if "status" in cls(e)],
            "labels": ["".join(e.itertext()) for e in els if "milestone-label" in cls(e) or "forecast-label" in cls(e)],
            "today": [float(e.get("x1")) for e in els if "today-line" in cls(e)],
            "todayX2": [float(e.get("x2")) for e in els if "today-line" in cls(e)],
            "ticks": ticks,
            "links": [v for e in els for k, v in e.attrib.items() if k.endswith("href")],
            "addresses": [v for e in els for k, v in e.attrib.items() if ("://" in v or v.startswith("data:")) and k != "xmlns"],
        }
        print(json.dumps(out))
        """#

    func read(_ svg: String) throws -> [String: Any] {
        try runPython(Self.reader, on: svg, modules: ["xml.etree.ElementTree"], suffix: ".svg")
    }

    func testTheProgrammeHasARowPerTrialAndAMarkerPerMilestone() throws {
        let p = Programme.build()
        let svg = TimelineSVG.render(p.views, today: Programme.today)
        let r = try read(svg)
        guard !r.isEmpty else { return }
        XCTAssertEqual(r["root"] as? String, "{http://www.w3.org/2000/svg}svg")
        XCTAssertEqual(r["trials"] as? [String], ["HARMONi-A", "HARMONi-2", "HARMONi-6"])
        XCTAssertEqual(r["rowNames"] as? [[String]], [["HARMONi-A"], ["HARMONi-2"], ["HARMONi-6"]])
        XCTAssertEqual(
            r["rowIDs"] as? [[String]], [["NCT05184712"], ["NCT05499390"], []],
            "the NCT number under the name, when there is one")
        // A marker for every milestone that is not a status change (those are the bands).
        let expected = p.views.flatMap {
            $0.timeline.filter { $0.type != .statusChanged }.map { ["\($0.seq)", $0.type.rawValue] }
        }
        XCTAssertEqual((r["milestones"] as? [[String]])?.sorted { $0[0] < $1[0] }, expected.sorted { $0[0] < $1[0] })
        XCTAssertEqual(expected.count, 11)
        // Status bands: two per trial here, in their colours' classes.
        XCTAssertEqual(
            r["statuses"] as? [String],
            [
                "recruiting", "active-not-recruiting", "recruiting", "active-not-recruiting", "recruiting",
                "active-not-recruiting",
            ])
        // Forecasts: every one, the slipped (superseded) and the overdue struck through.
        let forecasts = (r["forecasts"] as? [[Any]] ?? []).map { "\($0[0]):\($0[1]):\($0[2])" }
        XCTAssertEqual(
            Set(forecasts),
            [
                "\(p.seq["A.os1"]!):superseded:1", "\(p.seq["A.os2"]!):overdue:1", "\(p.seq["2.os"]!):pending:0",
                "\(p.seq["6.os"]!):met:0", "\(p.seq["6.esmo"]!):pending:0", "\(p.seq["6.submission"]!):pending:0",
                "\(p.seq["6.decision"]!):pending:0",
            ])
        // Headline results as short labels.
        let labels = r["labels"] as? [String] ?? []
        for l in ["PFS HR 0.46", "IA PFS HR 0.51", "OS HR 0.78", "OS readout (overdue)"] {
            XCTAssertTrue(labels.contains(l), "\(l) in \(labels)")
        }
    }

    func testTheTodayLineSitsAtTodaysPlaceOnTheYearAxis() throws {
        let p = Programme.build()
        for (today, fraction) in [("2026-01-01", 0.0), ("2026-07-02", 182.0 / 365.0), ("2026-11-21", 324.0 / 365.0)] {
            let r = try read(TimelineSVG.render(p.views, today: Day(today)!))
            guard !r.isEmpty else { return }
            let ticks = r["ticks"] as! [String: Double]
            XCTAssertEqual(
                Set(ticks.keys), Set((2022...2028).map(String.init)),
                "a tick at each 1 January from the first year to the one after the last")
            let (y2026, y2027) = (ticks["2026"]!, ticks["2027"]!)
            let xs = r["today"] as! [Double]
            XCTAssertEqual(xs.count, 1)
            XCTAssertEqual(xs[0], y2026 + fraction * (y2027 - y2026), accuracy: 0.11, "today \(today)")
            XCTAssertEqual((r["todayX2"] as! [Double])[0], xs[0], "upright")
        }
        // The ticks are spaced by the days of each year (a leap year is a day wider).
        let r = try read(TimelineSVG.render(p.views, today: Programme.today))
        let ticks = (r["ticks"] as! [String: Double]).sorted { $0.key < $1.key }
        let perDay =
            (ticks.last!.value - ticks.first!.value)
            / Double(
                Day(year: Int(ticks.last!.key)!, month: 1, day: 1)!.daysSinceEpoch
                    - Day(year: Int(ticks.first!.key)!, month: 1, day: 1)!.daysSinceEpoch)
        for (a, b) in zip(ticks, ticks.dropFirst()) {
            let days =
                Day(year: Int(b.key)!, month: 1, day: 1)!.daysSinceEpoch
                - Day(year: Int(a.key)!, month: 1, day: 1)!.daysSinceEpoch
            XCTAssertEqual(b.value - a.value, Double(days) * perDay, accuracy: 0.11, "\(a.key) to \(b.key)")
        }
    }

    func testSelfContained() throws {
        let p = Programme.build()
        for svg in [
            TimelineSVG.render(p.views, today: Programme.today),
            TimelineSVG.render(RandomProgramme.build(count: 50, seed: 7), today: Programme.today),
        ] {
            let r = try read(svg)
            guard !r.isEmpty else { return }
            XCTAssertEqual(r["links"] as? [String], [], "no href of any kind")
            XCTAssertEqual(r["addresses"] as? [String], [], "no attribute names anything outside")
            let tags = Set(r["tags"] as? [String] ?? [])
            XCTAssertTrue(
                tags.isDisjoint(with: ["image", "script", "foreignObject", "use", "a", "style", "font-face"]), "\(tags)"
            )
            // (A source quoted in a tooltip is text: only attributes and style could fetch.)
            for outside in ["url(", "@import", "href", "<image", "<script", "<style"] {
                XCTAssertFalse(svg.contains(outside), outside)
            }
        }
    }

    func testFiftyTrialsGrowThePictureAtTheSameRowHeight() throws {
        let views = RandomProgramme.build(count: 50, seed: 2026)
        let svg = TimelineSVG.render(views, today: Programme.today)
        let r = try read(svg)
        guard !r.isEmpty else { return }
        XCTAssertEqual(r["trials"] as? [String], views.map(\.summary.key))
        XCTAssertEqual(
            (r["milestones"] as? [[String]])?.count,
            views.reduce(0) { $0 + $1.timeline.filter { $0.type != .statusChanged }.count })
        XCTAssertEqual((r["forecasts"] as? [[Any]])?.count, views.reduce(0) { $0 + $1.expectations.count })
        let three = try read(TimelineSVG.render(Array(views.prefix(3)), today: Programme.today))
        let h50 = Double(r["height"] as! String)!, h3 = Double(three["height"] as! String)!
        // 47 more rows, and a second year axis under a long list; the legend may wrap differently.
        XCTAssertEqual(h50 - h3, 47 * TimelineSVG.Layout.rowHeight + TimelineSVG.Layout.axisHeight, accuracy: 41)
        XCTAssertEqual(r["width"] as? String, three["width"] as? String, "the width follows the years, not the trials")
    }

    func testEmptyAndOddInputsStillMakeADocument() throws {
        let bare = TrialView(summary: TrialSummary(key: "K & <L> \u{1}"), timeline: [], expectations: [])
        for views in [[], [bare]] {
            let r = try read(TimelineSVG.render(views, today: Programme.today))
            guard !r.isEmpty else { return }
            XCTAssertEqual((r["trials"] as? [String])?.count, views.count)
            XCTAssertEqual((r["ticks"] as? [String: Double])?.keys.sorted(), ["2026", "2027"])
        }
    }

    func testShortLabels() throws {
        func p(_ t: EventType, _ json: String) -> Payload { try! Payload(type: t, json: .parsed(json)) }
        XCTAssertEqual(
            TimelineSVG.shortLabel(
                p(
                    .readout,
                    #"{"kind": "primary", "outcome": "positive", "endpoints": ["OS"], "results": [{"endpoint": "OS", "hazardRatio": {"value": 0.78}}]}"#
                )), "OS HR 0.78")
        XCTAssertEqual(
            TimelineSVG.shortLabel(
                p(.readout, #"{"kind": "topline", "outcome": "negative", "endpoints": ["OS", "PFS", "ORR"]}"#)),
            "top-line OS/PFS not met")
        XCTAssertEqual(
            TimelineSVG.shortLabel(p(.interimAnalysis, Fixture.harmoni2Interim.canonicalText)), "IA PFS HR 0.51")
        XCTAssertEqual(
            TimelineSVG.shortLabel(p(.interimAnalysis, #"{"endpoints": ["PFS"], "outcome": "stopped-futility"}"#)),
            "IA PFS stopped (futility)")
        XCTAssertEqual(
            TimelineSVG.shortLabel(
                p(.presented, #"{"venue": "26th Annual International Lung Cancer Congress, Huntington Beach"}"#)),
            "26th Annual International…")
        XCTAssertEqual(TimelineSVG.shortLabel(p(.presented, #"{"venue": "ESMO 2026 (LBA5)"}"#)), "ESMO 2026")
        XCTAssertEqual(
            TimelineSVG.shortLabel(p(.regulatoryDecision, #"{"agency": "FDA", "decision": "approved"}"#)),
            "FDA approved")
    }

    // MARK: In a real browser

    /// Decodes a PNG (8-bit RGB or RGBA, not interlaced) with zlib by hand, and counts the
    /// pixels of its first 900 rows: those not white, and those of each colour asked for.
    static let pngReader = #"""
        import sys, json, struct, zlib
        data = open(sys.argv[1], "rb").read()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
        pos, idat, hdr = 8, b"", None
        while pos < len(data):
            n, kind = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
            if kind == b"IHDR": hdr = struct.unpack(">IIBBBBB", body)
            elif kind == b"IDAT": idat += body
        w, h, depth, ctype, _, _, interlace = hdr
        assert depth == 8 and ctype in (2, 6) and interlace == 0, hdr
        bpp = 3 if ctype == 2 else 4
        raw, stride = zlib.decompress(idat), w * bpp
        # Rows are unfiltered one by one in Python: the first 900 say enough, in a few seconds.
        rows, prev, i = [], bytearray(stride), 0
        for _ in range(min(h, 900)):
            f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
                if f == 1: line[x] = (line[x] + a) & 255
                elif f == 2: line[x] = (line[x] + b) & 255
                elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            rows.append(line); prev = line
        wanted = {k: tuple(int(k[j:j + 2], 16) for j in (1, 3, 5)) for k in sys.argv[2:]}
        found = {k: 0 for k in wanted}
        nonwhite = 0
        for line in rows:
            for x in range(0, stride, bpp):
                px = tuple(line[x:x + 3])
                if px != (255, 255, 255): nonwhite += 1
                for k, c in wanted.items():
                    if all(abs(px[j] - c[j]) <= 6 for j in range(3)): found[k] += 1
        print(json.dumps({"width": w, "height": h, "nonWhite": nonwhite, "colours": found}))
        """#

    func testTheProgrammeRendersInChromium() throws {
        try renderInChromium(
            TimelineSVG.render(Programme.build().views, today: Programme.today), keepingAs: ".build/timeline-demo.png")
    }

    func testFiftyTrialsRenderInChromium() throws {
        try renderInChromium(
            TimelineSVG.render(RandomProgramme.build(count: 50, seed: 2026), today: Programme.today),
            keepingAs: ".build/timeline-50.png")
    }

    /// Renders `svg` with headless chromium at its own size, keeps the PNG at `png` (in the
    /// repository, for a person to look at) and checks the picture: its size, not blank, the
    /// bands and markers drawn in their colours.
    func renderInChromium(_ svg: String, keepingAs keep: String) throws {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        try XCTSkipIf(chromium == nil, "needs Debian's chromium to render the SVG (`make deps` installs it; CI has it)")
        let python = try testPython(needing: ["zlib"])
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let svgPath = dir.path("timeline.svg")
        try Data(svg.utf8).write(to: URL(fileURLWithPath: svgPath))
        let size = try read(svg)
        let (w, h) = (
            Int(Double(size["width"] as! String)!.rounded(.up)), Int(Double(size["height"] as! String)!.rounded(.up))
        )
        let png = Repository.path(keep)
        try? FileManager.default.removeItem(atPath: png)
        let r = try runProgram(
            chromium!,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                "--no-first-run",
                "--user-data-dir=" + dir.path("profile"), "--window-size=\(w),\(h)", "--screenshot=" + png,
                "file://" + svgPath,
            ], environment: ["HOME": dir.url.path, "PATH": "/usr/bin:/bin"], timeout: 120)
        XCTAssertTrue(FileManager.default.fileExists(atPath: png), "chromium wrote no screenshot: \(r)")
        guard FileManager.default.fileExists(atPath: png) else { return }
        let check = try runProgram(
            python, ["-c", Self.pngReader, png, "#009E73", "#0072B2", "#222222"], output: .separate, timeout: 300)
        XCTAssertEqual(check.status, 0, "\(check)")
        let got = try JSONSerialization.jsonObject(with: Data(check.out.utf8)) as! [String: Any]
        XCTAssertEqual(got["width"] as? Int, w)
        XCTAssertEqual(got["height"] as? Int, h)
        let nonWhite = got["nonWhite"] as! Int
        XCTAssertGreaterThan(Double(nonWhite), Double(w * min(h, 900)) * 0.05, "the picture is not blank: \(got)")
        let colours = got["colours"] as! [String: Int]
        XCTAssertGreaterThan(colours["#009E73"] ?? 0, 1000, "recruiting bands are drawn: \(got)")
        XCTAssertGreaterThan(colours["#0072B2"] ?? 0, 1000, "active-not-recruiting bands are drawn: \(got)")
        XCTAssertGreaterThan(colours["#222222"] ?? 0, 100, "markers are drawn: \(got)")
    }
}
