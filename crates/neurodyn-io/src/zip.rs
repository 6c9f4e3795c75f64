//! A minimal ZIP archive reader and writer, enough for connectome files.
//!
//! Format reference: PKWARE, *APPNOTE.TXT — .ZIP File Format
//! Specification*, version 6.3.x (<https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT>):
//! §4.3.7 local file header, §4.3.12 central directory header, §4.3.16 end
//! of central directory record, §4.4.5 compression method (0 stored,
//! 8 deflate = raw RFC 1951 data), §4.4.7 CRC-32 (IEEE, of the
//! uncompressed data). All integers are little-endian.
//!
//! Reading: the end-of-central-directory record is searched backwards from
//! the end (it may be followed by a comment of up to 65 535 bytes), the
//! central directory gives each member's name, method, CRC-32, sizes and
//! local-header offset; the data follow the local header's name and extra
//! field. Sizes come from the central directory, so members written with a
//! data descriptor (general-purpose flag bit 3, as by a streaming writer)
//! are read too. Stored and deflated (`flate2`'s raw `DeflateDecoder`)
//! members are supported; the length and the CRC-32 of the data are
//! checked. Not supported: encryption (flag bit 0), other methods, ZIP64
//! and multi-disk archives (all reported as errors).
//!
//! Writing: each member is deflated, preceded by a local header with its
//! CRC-32 and sizes (no data descriptor), then the central directory and
//! the end record. Timestamps are fixed at 1980-01-01 00:00 (the DOS
//! epoch) so that the same content gives the same bytes; members are marked
//! as made on UNIX with mode 0644, and names that are not ASCII carry the
//! UTF-8 flag (bit 11).

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const END_SIG: u32 = 0x0605_4b50;
const LOCAL_LEN: usize = 30;
const CENTRAL_LEN: usize = 46;
const END_LEN: usize = 22;
const STORED: u16 = 0;
const DEFLATE: u16 = 8;
const FLAG_ENCRYPTED: u16 = 1;
const FLAG_UTF8: u16 = 1 << 11;
/// Version 2.0: deflate.
const VERSION: u16 = 20;
/// 1980-01-01 in MS-DOS date format (day 1, month 1, year 1980 + 0).
const DOS_DATE: u16 = (1 << 5) | 1;

type Res<T> = std::result::Result<T, String>;

fn u16_at(b: &[u8], at: usize) -> Res<u16> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or_else(|| format!("truncated zip: a record at byte {at} runs past the end"))
}

fn u32_at(b: &[u8], at: usize) -> Res<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| format!("truncated zip: a record at byte {at} runs past the end"))
}

/// One member, as the central directory describes it.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) name: String,
    flags: u16,
    method: u16,
    crc32: u32,
    pub(super) compressed_size: usize,
    pub(super) size: usize,
    local_offset: usize,
}

/// A zip archive held in memory.
pub(super) struct Archive<'a> {
    bytes: &'a [u8],
    entries: Vec<Entry>,
}

impl<'a> Archive<'a> {
    /// Read the central directory.
    pub(super) fn parse(bytes: &'a [u8]) -> Res<Self> {
        let end = find_end(bytes)?;
        let disk = u16_at(bytes, end + 4)?;
        let cd_disk = u16_at(bytes, end + 6)?;
        let on_disk = u16_at(bytes, end + 8)?;
        let count = u16_at(bytes, end + 10)?;
        let cd_size = u32_at(bytes, end + 12)?;
        let cd_offset = u32_at(bytes, end + 16)?;
        if count == u16::MAX || cd_size == u32::MAX || cd_offset == u32::MAX {
            return Err("ZIP64 archives are not supported".to_string());
        }
        if disk != 0 || cd_disk != 0 || on_disk != count {
            return Err("multi-disk (split) zip archives are not supported".to_string());
        }
        let mut at = cd_offset as usize;
        let mut entries = Vec::with_capacity(count as usize);
        for k in 0..count {
            if u32_at(bytes, at)? != CENTRAL_SIG {
                return Err(format!(
                    "corrupt zip: central directory entry {} at byte {at} has no signature",
                    k + 1
                ));
            }
            let flags = u16_at(bytes, at + 8)?;
            let method = u16_at(bytes, at + 10)?;
            let crc32 = u32_at(bytes, at + 16)?;
            let compressed_size = u32_at(bytes, at + 20)?;
            let size = u32_at(bytes, at + 24)?;
            let name_len = u16_at(bytes, at + 28)? as usize;
            let extra_len = u16_at(bytes, at + 30)? as usize;
            let comment_len = u16_at(bytes, at + 32)? as usize;
            let local_offset = u32_at(bytes, at + 42)?;
            let name_start = at + CENTRAL_LEN;
            let raw = bytes
                .get(name_start..name_start + name_len)
                .ok_or("truncated zip: a member name runs past the end")?;
            // Names without the UTF-8 flag are CP437; ASCII is the same in both.
            let name = String::from_utf8_lossy(raw).into_owned();
            if compressed_size == u32::MAX || size == u32::MAX || local_offset == u32::MAX {
                return Err(format!("member `{name}`: ZIP64 members are not supported"));
            }
            entries.push(Entry {
                name,
                flags,
                method,
                crc32,
                compressed_size: compressed_size as usize,
                size: size as usize,
                local_offset: local_offset as usize,
            });
            at = name_start + name_len + extra_len + comment_len;
        }
        Ok(Archive { bytes, entries })
    }

    /// The member names, in central-directory order.
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.as_str())
    }

    /// The member called exactly `name`.
    pub(super) fn find(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// The uncompressed data of a member, length and CRC-32 checked.
    pub(super) fn read(&self, e: &Entry) -> Res<Vec<u8>> {
        let b = self.bytes;
        let at = e.local_offset;
        if u32_at(b, at)? != LOCAL_SIG {
            return Err(format!("corrupt zip: no local header at byte {at}"));
        }
        if e.flags & FLAG_ENCRYPTED != 0 {
            return Err("encrypted members are not supported".to_string());
        }
        let start = at + LOCAL_LEN + u16_at(b, at + 26)? as usize + u16_at(b, at + 28)? as usize;
        let data = b
            .get(start..start + e.compressed_size)
            .ok_or("truncated zip: the member's data run past the end")?;
        let out = match e.method {
            STORED => data.to_vec(),
            DEFLATE => {
                let mut out = Vec::with_capacity(e.size);
                DeflateDecoder::new(data)
                    .take(e.size as u64 + 1)
                    .read_to_end(&mut out)
                    .map_err(|err| format!("corrupt deflate data: {err}"))?;
                out
            }
            m => {
                return Err(format!(
                    "compression method {m} is not supported (only 0, stored, and 8, deflate)"
                ));
            }
        };
        if out.len() != e.size {
            return Err(format!(
                "corrupt zip: {} bytes of data, the central directory says {}",
                out.len(),
                e.size
            ));
        }
        let crc = crc32fast::hash(&out);
        if crc != e.crc32 {
            return Err(format!(
                "corrupt zip: CRC-32 of the data is {crc:08x}, the central directory says {:08x}",
                e.crc32
            ));
        }
        Ok(out)
    }
}

/// The offset of the end-of-central-directory record.
fn find_end(b: &[u8]) -> Res<usize> {
    if b.len() < END_LEN {
        return Err(format!(
            "not a zip file: {} bytes, shorter than any zip",
            b.len()
        ));
    }
    let lowest = b.len().saturating_sub(END_LEN + u16::MAX as usize);
    for at in (lowest..=b.len() - END_LEN).rev() {
        if u32_at(b, at)? == END_SIG {
            let comment = u16_at(b, at + 20)? as usize;
            if at + END_LEN + comment <= b.len() {
                return Ok(at);
            }
        }
    }
    Err("not a zip file: no end-of-central-directory record".to_string())
}

/// A zip archive holding `members` (name, data), each deflated.
pub(super) fn write(members: &[(&str, &[u8])]) -> Res<Vec<u8>> {
    let too_big = || "too large for a zip without ZIP64 (4 GiB, 65 535 members)".to_string();
    let count = u16::try_from(members.len()).map_err(|_| too_big())?;
    let mut out: Vec<u8> = Vec::new();
    let mut central: Vec<u8> = Vec::new();
    for &(name, data) in members {
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).map_err(|e| e.to_string())?;
        let packed = enc.finish().map_err(|e| e.to_string())?;
        let crc = crc32fast::hash(data);
        let name_len =
            u16::try_from(name.len()).map_err(|_| format!("member name too long: {name}"))?;
        let size = u32::try_from(data.len())
            .ok()
            .filter(|&s| s != u32::MAX)
            .ok_or_else(too_big)?;
        let csize = u32::try_from(packed.len())
            .ok()
            .filter(|&s| s != u32::MAX)
            .ok_or_else(too_big)?;
        let offset = u32::try_from(out.len())
            .ok()
            .filter(|&s| s != u32::MAX)
            .ok_or_else(too_big)?;
        let flags = if name.is_ascii() { 0 } else { FLAG_UTF8 };

        // Local file header (APPNOTE §4.3.7).
        put32(&mut out, LOCAL_SIG);
        put16(&mut out, VERSION); // version needed to extract
        put16(&mut out, flags);
        put16(&mut out, DEFLATE);
        put16(&mut out, 0); // time 00:00:00
        put16(&mut out, DOS_DATE);
        put32(&mut out, crc);
        put32(&mut out, csize);
        put32(&mut out, size);
        put16(&mut out, name_len);
        put16(&mut out, 0); // extra field length
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&packed);

        // Central directory header (§4.3.12).
        put32(&mut central, CENTRAL_SIG);
        put16(&mut central, (3 << 8) | VERSION); // made by: UNIX, 2.0
        put16(&mut central, VERSION);
        put16(&mut central, flags);
        put16(&mut central, DEFLATE);
        put16(&mut central, 0);
        put16(&mut central, DOS_DATE);
        put32(&mut central, crc);
        put32(&mut central, csize);
        put32(&mut central, size);
        put16(&mut central, name_len);
        put16(&mut central, 0); // extra field length
        put16(&mut central, 0); // comment length
        put16(&mut central, 0); // disk number start
        put16(&mut central, 0); // internal attributes
        put32(&mut central, 0o100_644 << 16); // external: regular file, rw-r--r--
        put32(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = u32::try_from(out.len())
        .ok()
        .filter(|&s| s != u32::MAX)
        .ok_or_else(too_big)?;
    let cd_size = u32::try_from(central.len()).map_err(|_| too_big())?;
    out.extend_from_slice(&central);
    // End of central directory record (§4.3.16).
    put32(&mut out, END_SIG);
    put16(&mut out, 0); // this disk
    put16(&mut out, 0); // disk with the central directory
    put16(&mut out, count);
    put16(&mut out, count);
    put32(&mut out, cd_size);
    put32(&mut out, cd_offset);
    put16(&mut out, 0); // comment length
    Ok(out)
}

fn put16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_le_bytes());
}

fn put32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_round_trip_with_their_names() {
        let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let members: [(&str, &[u8]); 4] = [
            ("a.txt", b"hello\n"),
            ("sub/empty.txt", b""),
            ("sub/régions.txt", "L01 R01\n".as_bytes()),
            ("big.bin", &big),
        ];
        let bytes = write(&members).unwrap();
        let a = Archive::parse(&bytes).unwrap();
        assert_eq!(
            a.names().collect::<Vec<_>>(),
            ["a.txt", "sub/empty.txt", "sub/régions.txt", "big.bin"]
        );
        for (name, data) in members {
            assert_eq!(a.read(a.find(name).unwrap()).unwrap(), data, "{name}");
        }
        assert!(
            bytes.len() < big.len() / 10,
            "deflated: {} bytes",
            bytes.len()
        );
        assert_eq!(write(&members).unwrap(), bytes, "same content, same bytes");
    }

    #[test]
    fn a_wrong_crc_or_size_is_reported() {
        let bytes = write(&[("w.txt", b"0 1\n1 0\n")]).unwrap();
        let cd = bytes
            .windows(4)
            .position(|w| w == CENTRAL_SIG.to_le_bytes())
            .unwrap();
        let mut bad_crc = bytes.clone();
        bad_crc[cd + 16] ^= 0xff;
        let a = Archive::parse(&bad_crc).unwrap();
        let e = a.read(a.find("w.txt").unwrap()).unwrap_err();
        assert!(e.contains("CRC-32"), "{e}");
        let mut bad_size = bytes.clone();
        bad_size[cd + 24] += 1;
        let a = Archive::parse(&bad_size).unwrap();
        let e = a.read(a.find("w.txt").unwrap()).unwrap_err();
        assert!(e.contains("bytes of data"), "{e}");
    }

    #[test]
    fn not_a_zip_and_truncated_zips_are_reported() {
        assert!(Archive::parse(b"PK").err().unwrap().contains("not a zip"));
        let e = Archive::parse(&[b'x'; 100]).err().unwrap();
        assert!(e.contains("no end-of-central-directory"), "{e}");
        let bytes = write(&[("w.txt", b"0 1\n1 0\n")]).unwrap();
        let e = Archive::parse(&bytes[10..]).err().unwrap();
        assert!(e.contains("corrupt") || e.contains("truncated"), "{e}");
    }
}
