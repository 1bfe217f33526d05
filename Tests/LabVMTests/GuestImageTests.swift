import Foundation
import LabSupport
import Testing
@testable import LabVM

/// The guest image, built for real from Debian's packages (the first run downloads the
/// ~27 MB kernel package into the lab cache).
@Suite(.serialized) struct GuestImageTests {
    @Test func imageIsBuiltOnceAndHoldsTheKernelBusyboxModulesAndInit() async throws {
        guard VMTestTools.imageCanBeBuilt(for: "guest image tests") else { return }
        let clock = ContinuousClock()
        let begin = clock.now
        let image = try await GuestImage.prepare { print("guest image: \($0)") }
        let firstTook = clock.now - begin
        let manifest = "\(image.folder)/manifest.json"
        let built = try FileManager.default.attributesOfItem(atPath: manifest)[.modificationDate] as? Date

        let again = try await GuestImage.prepare()
        #expect(again == image)
        #expect(try FileManager.default.attributesOfItem(atPath: manifest)[.modificationDate] as? Date == built,
                "a second prepare with the same inputs must not rebuild")
        #expect(image.folder.hasPrefix(GuestImage.cacheFolder + "/guest-"))
        #expect(image.kernelPackage.hasPrefix("linux-image-") && image.kernelPackage.hasSuffix("-cloud-amd64"))

        // The kernel is a bzImage ("HdrS" at 0x202); the initramfs is gzip holding the
        // init, busybox and the eight modules.
        let kernel = try #require(FileManager.default.contents(atPath: image.kernel))
        #expect(kernel.count > 1_000_000)
        #expect(String(decoding: kernel[0x202..<0x206], as: UTF8.self) == "HdrS")
        let listing = try await ProgramRun.run("/bin/sh", ["-c", "gzip -dc \"$1\" | cpio -t --quiet", "sh", image.initramfs])
        #expect(listing.succeeded, "\(listing.standardError)")
        let entries = Set(listing.standardOutput.split(separator: "\n").map(String.init))
        #expect(entries.isSuperset(of: ["init", "bin/busybox", "proc", "sys", "dev"]))
        #expect(entries.isSuperset(of: GuestInit.modules.map { "modules/\($0).ko" }))
        print("guest image: \(image.kernelPackage) \(image.kernelPackageVersion) in \(image.folder), "
            + "prepared in \(firstTook) (cached: second prepare reused it)")
    }

    @Test func twoProcessesBuildingAtOnceLeaveOneWholeImage() async throws {
        guard VMTestTools.imageCanBeBuilt(for: "guest image tests") else { return }
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("glm-cache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: cache) }
        async let first = GuestImage.prepare(cache: cache)
        async let second = GuestImage.prepare(cache: cache)
        let images = try await [first, second]
        #expect(images[0] == images[1])
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache).sorted()
        #expect(entries == ["debs", "guest-\(images[0].key)"], "no half-built or duplicate images left")
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(cache)/debs").count == 1)

        // An image damaged by hand is rebuilt from the cached package.
        try FileManager.default.removeItem(atPath: images[0].kernel)
        let rebuilt = try await GuestImage.prepare(cache: cache)
        #expect(rebuilt == images[0])
        #expect(FileManager.default.fileExists(atPath: rebuilt.kernel))
    }
}
