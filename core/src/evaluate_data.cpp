// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// The evaluation data sets: IDX image files, the held-out split of a text, and the named sets.
#include "optiscope/core/evaluate.h"

#include <zlib.h>

#include <fstream>
#include <iterator>

namespace optiscope::core {

namespace fs = std::filesystem;

namespace {

    const fs::path kMobyDick = "third_party_cache/moby_dick/package/data/data.txt";
    const fs::path kFashionMnist = "/usr/share/datasets/fashion-mnist";

    // The whole file, inflated when it is gzip (zlib reads plain files through unchanged).
    Result<std::vector<std::uint8_t>> readMaybeGzip(const fs::path& path)
    {
        const std::string name = path.filename().string();
        gzFile file = gzopen(path.string().c_str(), "rb");
        if (!file) {
            return fail(ErrorCode::Io, name + ": cannot open");
        }
        std::vector<std::uint8_t> bytes;
        std::uint8_t buffer[1 << 16];
        for (;;) {
            const int got = gzread(file, buffer, sizeof buffer);
            if (got < 0) {
                gzclose(file);
                return fail(ErrorCode::Format, name + ": corrupt gzip data");
            }
            if (got == 0) {
                break;
            }
            bytes.insert(bytes.end(), buffer, buffer + got);
        }
        gzclose(file);
        return bytes;
    }

    std::uint32_t bigEndian(const std::vector<std::uint8_t>& b, std::size_t at)
    {
        return (std::uint32_t(b[at]) << 24) | (std::uint32_t(b[at + 1]) << 16) | (std::uint32_t(b[at + 2]) << 8) | b[at + 3];
    }

    // An IDX file of unsigned bytes with `dims` dimensions: its dimensions and where the data starts.
    Result<std::vector<std::uint32_t>> idxHeader(const std::vector<std::uint8_t>& bytes, int dims, const std::string& name)
    {
        const std::size_t header = 4 + 4 * static_cast<std::size_t>(dims);
        if (bytes.size() < header) {
            return fail(ErrorCode::Format, name + ": header: shorter than " + std::to_string(header) + " bytes");
        }
        const std::uint32_t magic = bigEndian(bytes, 0);
        if (magic != 0x800u + static_cast<std::uint32_t>(dims)) {
            return fail(ErrorCode::Format,
                name + ": magic: " + std::to_string(magic) + " is not an IDX file of unsigned bytes with "
                    + std::to_string(dims) + " dimensions (" + std::to_string(0x800 + dims) + ")");
        }
        std::vector<std::uint32_t> shape;
        std::uint64_t elements = 1;
        for (int d = 0; d < dims; ++d) {
            shape.push_back(bigEndian(bytes, 4 + 4 * static_cast<std::size_t>(d)));
            elements *= shape.back();
        }
        if (bytes.size() != header + elements) {
            return fail(ErrorCode::Format,
                name + ": data: " + std::to_string(bytes.size() - header) + " bytes, the header says "
                    + std::to_string(elements));
        }
        return shape;
    }

    // file or file.gz, whichever exists.
    fs::path withOptionalGz(const fs::path& folder, const std::string& name)
    {
        std::error_code error;
        if (fs::exists(folder / name, error)) {
            return folder / name;
        }
        return folder / (name + ".gz");
    }

    Result<std::string> readText(const fs::path& path)
    {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            return fail(ErrorCode::Io, path.filename().string() + ": cannot open");
        }
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

} // namespace

Result<LabelledImages> loadIdxImages(const fs::path& imagesFile, const fs::path& labelsFile)
{
    auto images = readMaybeGzip(imagesFile);
    if (!images) {
        return std::unexpected(images.error());
    }
    auto labels = readMaybeGzip(labelsFile);
    if (!labels) {
        return std::unexpected(labels.error());
    }
    const std::string imagesName = imagesFile.filename().string(), labelsName = labelsFile.filename().string();
    auto imageShape = idxHeader(*images, 3, imagesName);
    if (!imageShape) {
        return std::unexpected(imageShape.error());
    }
    auto labelShape = idxHeader(*labels, 1, labelsName);
    if (!labelShape) {
        return std::unexpected(labelShape.error());
    }
    if ((*labelShape)[0] != (*imageShape)[0]) {
        return fail(ErrorCode::Format,
            labelsName + ": count " + std::to_string((*labelShape)[0]) + " != images " + std::to_string((*imageShape)[0]));
    }
    LabelledImages out;
    out.height = static_cast<int>((*imageShape)[1]);
    out.width = static_cast<int>((*imageShape)[2]);
    out.pixels.assign(images->begin() + 16, images->end());
    out.labels.assign(labels->begin() + 8, labels->end());
    return out;
}

std::string heldOutPart(std::string_view text, double heldOutFraction)
{
    // Python slices by code point: count them, then find the byte offset of code point `cut`.
    std::size_t codePoints = 0;
    for (const char c : text) {
        codePoints += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }
    const auto cut = static_cast<std::size_t>(static_cast<double>(codePoints) * (1.0 - heldOutFraction));
    std::size_t byte = 0;
    for (std::size_t seen = 0; byte < text.size(); ++byte) {
        if ((static_cast<unsigned char>(text[byte]) & 0xC0) != 0x80 && seen++ == cut) {
            break;
        }
    }
    const std::size_t paragraph = text.find("\n\n", byte);
    return std::string(text.substr(paragraph == std::string_view::npos ? byte : paragraph + 2));
}

std::optional<fs::path> findInAncestors(const std::vector<fs::path>& starts, const fs::path& relative)
{
    for (const fs::path& start : starts) {
        std::error_code error;
        fs::path folder = fs::absolute(start, error);
        while (!error && !folder.empty()) {
            if (fs::exists(folder / relative, error)) {
                return folder / relative;
            }
            if (folder == folder.parent_path()) {
                break;
            }
            folder = folder.parent_path();
        }
    }
    return std::nullopt;
}

std::string defaultEvalDataName(EvalTask task)
{
    return task == EvalTask::Perplexity ? "moby-dick" : "fashion-mnist";
}

Result<EvalData> loadEvalData(const Model& model, const std::string& nameOrPath, const std::vector<fs::path>& searchFrom)
{
    EvalData data;
    auto text = [&](const fs::path& file, bool heldOut) -> Result<EvalData> {
        auto content = readText(file);
        if (!content) {
            return std::unexpected(content.error());
        }
        const Tokenizer* tokenizer = model.tokenizer();
        if (!tokenizer) {
            return fail(ErrorCode::Input,
                "evaluate: " + data.name + " is a text, but " + model.folder().filename().string()
                    + " has no tokenizer (an image classifier needs labelled images: fashion-mnist or an IDX folder)");
        }
        data.task = EvalTask::Perplexity;
        data.tokens = tokenizer->encode(heldOut ? heldOutPart(*content) : *content);
        return data;
    };
    auto images = [&](const fs::path& folder) -> Result<EvalData> {
        auto loaded = loadIdxImages(
            withOptionalGz(folder, "t10k-images-idx3-ubyte"), withOptionalGz(folder, "t10k-labels-idx1-ubyte"));
        if (!loaded) {
            return std::unexpected(loaded.error());
        }
        auto normalization = loadImageNormalization(model.folder());
        if (!normalization) {
            return std::unexpected(normalization.error());
        }
        data.task = EvalTask::Accuracy;
        data.images = std::move(*loaded);
        data.normalization = std::move(*normalization);
        return data;
    };

    if (nameOrPath == "moby-dick") {
        data.name = "moby-dick (held-out last 10 %)";
        const auto book = findInAncestors(searchFrom, kMobyDick);
        if (!book) {
            return fail(ErrorCode::Io, "moby-dick: " + kMobyDick.string() + " not found; run scripts/fetch_moby_dick.sh");
        }
        return text(*book, true);
    }
    if (nameOrPath == "fashion-mnist") {
        data.name = "fashion-mnist (10,000 test images)";
        std::error_code error;
        if (!fs::is_directory(kFashionMnist, error)) {
            return fail(ErrorCode::Io,
                "fashion-mnist: " + kFashionMnist.string() + " not found; install the Debian package dataset-fashion-mnist");
        }
        return images(kFashionMnist);
    }
    const fs::path path = nameOrPath;
    data.name = path.filename().string();
    std::error_code error;
    if (fs::is_directory(path, error)) {
        return images(path);
    }
    if (fs::is_regular_file(path, error)) {
        return text(path, false);
    }
    return fail(ErrorCode::Io,
        nameOrPath + ": no such file or folder (expected moby-dick, fashion-mnist, a text file or an IDX folder)");
}

} // namespace optiscope::core
