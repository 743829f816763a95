// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/atomic_write.h"
#include "optiscope/core/stale_temporaries.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <random>
#include <streambuf>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace optiscope::core {

namespace {

    std::string errnoText(int error) { return std::strerror(error); }

    // std::ofstream cannot fsync, so the stream writes through our own descriptor. The first
    // failing write() is remembered and the stream goes bad.
    class FdStreambuf : public std::streambuf {
    public:
        explicit FdStreambuf(int fd)
            : m_fd(fd)
        {
            setp(m_buffer, m_buffer + sizeof(m_buffer));
        }

        int savedErrno() const { return m_errno; }

    protected:
        int_type overflow(int_type ch) override
        {
            if (!flushBuffer()) {
                return traits_type::eof();
            }
            if (!traits_type::eq_int_type(ch, traits_type::eof())) {
                *pptr() = traits_type::to_char_type(ch);
                pbump(1);
            }
            return traits_type::not_eof(ch);
        }

        std::streamsize xsputn(const char* data, std::streamsize count) override
        {
            // Large chunks (tensor data) bypass the buffer.
            if (count >= static_cast<std::streamsize>(sizeof(m_buffer))) {
                if (!flushBuffer() || !writeAll(data, static_cast<std::size_t>(count))) {
                    return 0;
                }
                return count;
            }
            return std::streambuf::xsputn(data, count);
        }

        int sync() override { return flushBuffer() ? 0 : -1; }

    private:
        bool flushBuffer()
        {
            const auto pending = static_cast<std::size_t>(pptr() - pbase());
            if (pending > 0 && !writeAll(pbase(), pending)) {
                return false;
            }
            setp(m_buffer, m_buffer + sizeof(m_buffer));
            return true;
        }

        bool writeAll(const char* data, std::size_t count)
        {
            if (m_errno != 0) {
                return false;
            }
            while (count > 0) {
                const ssize_t written = ::write(m_fd, data, count);
                if (written < 0) {
                    if (errno == EINTR) {
                        continue;
                    }
                    m_errno = errno;
                    return false;
                }
                data += written;
                count -= static_cast<std::size_t>(written);
            }
            return true;
        }

        int m_fd;
        int m_errno = 0;
        char m_buffer[64 * 1024];
    };

    // Owns the temporary file until it is renamed: closes the descriptor and unlinks the file
    // on every early return.
    class TempFile {
    public:
        ~TempFile()
        {
            closeFd();
            if (!m_path.empty()) {
                ::unlink(m_path.c_str());
            }
        }

        Result<void> create(const std::filesystem::path& target)
        {
            const auto folder = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
            std::random_device random;
            for (int attempt = 0; attempt < 100; ++attempt) {
                // The pid lets a later writer recognise this file as abandoned if we are killed
                // (stale_temporaries.h).
                char suffix[48];
                std::snprintf(suffix, sizeof(suffix), ".tmp-%ld-%08x", static_cast<long>(::getpid()),
                    static_cast<unsigned>(random()));
                auto candidate = folder / (target.filename().string() + suffix);
                // 0666 so the process umask gives the same permissions as a plain new file.
                const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
                if (fd >= 0) {
                    m_fd = fd;
                    m_path = std::move(candidate);
                    return {};
                }
                if (errno != EEXIST) {
                    return fail(ErrorCode::Io,
                        target.string() + ": cannot create temporary file in '" + folder.string()
                            + "': " + errnoText(errno));
                }
            }
            return fail(ErrorCode::Io, target.string() + ": cannot create a unique temporary file");
        }

        int fd() const { return m_fd; }
        const std::filesystem::path& path() const { return m_path; }

        bool closeFd()
        {
            if (m_fd < 0) {
                return true;
            }
            const int result = ::close(m_fd);
            m_fd = -1;
            return result == 0;
        }

        void release() { m_path.clear(); }

    private:
        int m_fd = -1;
        std::filesystem::path m_path;
    };

    // Makes the rename itself durable; failure here is not worth reporting since the data is
    // already in place.
    void syncFolder(const std::filesystem::path& target)
    {
        const auto folder = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
        const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
            ::fsync(fd);
            ::close(fd);
        }
    }

} // namespace

Result<void> writeFileAtomically(const std::filesystem::path& path, const StreamWriter& write)
{
    if (path.empty() || !path.has_filename()) {
        return fail(ErrorCode::Io, path.string() + ": not a file path");
    }
    removeStaleTemporaries(path.has_parent_path() ? path.parent_path() : std::filesystem::path("."));
    TempFile temp;
    if (auto created = temp.create(path); !created) {
        return created;
    }
    {
        FdStreambuf buffer(temp.fd());
        std::ostream stream(&buffer);
        Result<void> written;
        try {
            written = write(stream);
        } catch (const std::exception& e) {
            written = fail(ErrorCode::Internal, path.string() + ": writing failed: " + e.what());
        } catch (...) {
            written = fail(ErrorCode::Internal, path.string() + ": writing failed with an unknown exception");
        }
        if (!written) {
            return written;
        }
        stream.flush();
        if (!stream || buffer.savedErrno() != 0) {
            const int error = buffer.savedErrno();
            return fail(ErrorCode::Io,
                path.string() + ": write failed: " + (error != 0 ? errnoText(error) : std::string("stream error")));
        }
    }
    if (::fsync(temp.fd()) != 0) {
        return fail(ErrorCode::Io, path.string() + ": fsync failed: " + errnoText(errno));
    }
    if (!temp.closeFd()) {
        return fail(ErrorCode::Io, path.string() + ": close failed: " + errnoText(errno));
    }
    if (::rename(temp.path().c_str(), path.c_str()) != 0) {
        return fail(ErrorCode::Io, path.string() + ": cannot rename temporary file: " + errnoText(errno));
    }
    temp.release();
    syncFolder(path);
    return {};
}

Result<void> writeFileAtomically(const std::filesystem::path& path, std::span<const std::span<const std::byte>> chunks)
{
    return writeFileAtomically(path, [chunks](std::ostream& out) -> Result<void> {
        for (const auto chunk : chunks) {
            out.write(reinterpret_cast<const char*>(chunk.data()), static_cast<std::streamsize>(chunk.size()));
        }
        return {};
    });
}

Result<void> writeFileAtomically(const std::filesystem::path& path, std::string_view contents)
{
    return writeFileAtomically(path, [contents](std::ostream& out) -> Result<void> {
        out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
        return {};
    });
}

} // namespace optiscope::core
