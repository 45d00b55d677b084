import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The two XML documents restorecheck reads from S3: a `ListBucketResult` page (ListObjectsV2) and
/// an `Error`. Parsed with Foundation's XMLParser (libxml2) into plain values; elements are matched
/// by local name, so a namespace prefix or an unknown element changes nothing.
enum S3XMLDocument {
    /// One page of a listing.
    struct ListPage {
        var objects: [S3Object] = []
        var isTruncated = false
        var nextContinuationToken: String?
    }

    /// The page, or nil when `data` is not a listing (an error document, garbage).
    static func listPage(_ data: Data) -> ListPage? {
        let delegate = Collector(record: "Contents")
        guard delegate.parse(data), delegate.root == "ListBucketResult" else { return nil }
        var page = ListPage()
        page.isTruncated = delegate.top["IsTruncated"] == "true"
        page.nextContinuationToken = delegate.top["NextContinuationToken"]
        for fields in delegate.records {
            guard let key = fields["Key"], let sizeText = fields["Size"], let size = Int64(sizeText),
                  let modified = fields["LastModified"].flatMap(parseTime)
            else { continue }
            page.objects.append(S3Object(key: key, size: size, lastModified: modified, etag: fields["ETag"].map(unquote) ?? ""))
        }
        return page
    }

    /// An error document's `Code` and `Message`.
    static func error(_ data: Data) -> (code: String?, message: String?) {
        let delegate = Collector(record: nil)
        guard delegate.parse(data), delegate.root == "Error" else { return (nil, nil) }
        return (delegate.top["Code"], delegate.top["Message"])
    }

    /// ETags are quoted in S3's answers; the quotes are not part of the identity.
    static func unquote(_ etag: String) -> String {
        etag.count >= 2 && etag.hasPrefix("\"") && etag.hasSuffix("\"") ? String(etag.dropFirst().dropLast()) : etag
    }

    /// `2026-12-02T21:00:00.000Z` or without the fraction.
    static func parseTime(_ text: String) -> Date? {
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }

    /// Collects the root's direct children's text (`top`) and each `record` element's children.
    private final class Collector: NSObject, XMLParserDelegate {
        let record: String?
        var root: String?
        var top: [String: String] = [:]
        var records: [[String: String]] = []
        private var path: [String] = []
        private var text = ""
        private var current: [String: String]?

        init(record: String?) { self.record = record }

        func parse(_ data: Data) -> Bool {
            let parser = XMLParser(data: data)
            parser.shouldResolveExternalEntities = false
            parser.delegate = self
            return parser.parse()
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            let local = name.split(separator: ":").last.map(String.init) ?? name
            if root == nil { root = local }
            path.append(local)
            text = ""
            if path.count == 2, local == record { current = [:] }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            let local = path.removeLast()
            if path.count == 1 {
                if local == record, let current { records.append(current) } else { top[local] = text }
                current = nil
            } else if path.count == 2, current != nil {
                current?[local] = text
            }
            text = ""
        }
    }
}
