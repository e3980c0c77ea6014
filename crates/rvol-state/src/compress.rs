//! How a layer or an archive is compressed: told by its first bytes (gzip
//! `1f 8b`, zstd `28 b5 2f fd`, anything else a plain tar) or by its OCI
//! or docker media type, and the decoder that reads it.

use std::io::{self, BufRead, Read};

use crate::error::{Error, Result};
use crate::store::{MEDIA_LAYER_GZIP, MEDIA_LAYER_TAR, MEDIA_LAYER_ZSTD};

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// The most bytes [`Compression::sniff`] looks at.
pub const MAGIC_LEN: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    /// What the first bytes of a blob say it is.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(GZIP_MAGIC) {
            Compression::Gzip
        } else if head.starts_with(ZSTD_MAGIC) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    /// From a layer descriptor's media type (OCI and docker's names).
    pub fn from_media_type(mt: &str) -> Result<Compression> {
        let base = mt.replace(".nondistributable", "");
        Ok(match base.as_str() {
            MEDIA_LAYER_TAR | "application/vnd.docker.image.rootfs.diff.tar" => Compression::None,
            MEDIA_LAYER_GZIP | "application/vnd.docker.image.rootfs.diff.tar.gzip" => {
                Compression::Gzip
            }
            MEDIA_LAYER_ZSTD | "application/vnd.docker.image.rootfs.diff.tar.zstd" => {
                Compression::Zstd
            }
            _ => return Err(Error::new(format!("unknown layer media type {mt:?}"))),
        })
    }

    /// The OCI layer media type of a tar compressed so.
    pub fn media_type(self) -> &'static str {
        match self {
            Compression::None => MEDIA_LAYER_TAR,
            Compression::Gzip => MEDIA_LAYER_GZIP,
            Compression::Zstd => MEDIA_LAYER_ZSTD,
        }
    }

    /// From a flag's value: `none`, `gzip` or `zstd`.
    pub fn parse(s: &str) -> Option<Compression> {
        match s {
            "none" => Some(Compression::None),
            "gzip" => Some(Compression::Gzip),
            "zstd" => Some(Compression::Zstd),
            _ => None,
        }
    }

    /// For messages.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "uncompressed tar",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// A reader of the plain bytes of `r`, which holds data compressed
    /// so. The decoders read `r`'s own buffer (no second one): give it a
    /// large one (1 MiB), decompression is half an unpack's cost.
    pub fn decoder<R: BufRead>(self, r: R) -> io::Result<Decoder<R>> {
        Ok(match self {
            Compression::None => Decoder::Plain(r),
            // Multi: concatenated members are one stream, as gzip -d reads them.
            Compression::Gzip => Decoder::Gzip(flate2::bufread::MultiGzDecoder::new(r)),
            Compression::Zstd => Decoder::Zstd(zstd::stream::read::Decoder::with_buffer(r)?),
        })
    }
}

/// The decoder that the first bytes of `r` call for (looked at, not
/// consumed): plain, gzip and zstd archives are all read the same.
pub fn sniff_decoder<R: BufRead>(mut r: R) -> io::Result<Decoder<R>> {
    let c = Compression::sniff(r.fill_buf()?);
    c.decoder(r)
}

/// See [`Compression::decoder`]. One per stream, made once: the gzip
/// state kept inline (no box) costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Decoder<R: BufRead> {
    Plain(R),
    Gzip(flate2::bufread::MultiGzDecoder<R>),
    Zstd(zstd::stream::read::Decoder<'static, R>),
}

impl<R: BufRead> Decoder<R> {
    /// The compressed stream, read up to the end of the compressed data
    /// (what follows it may be partly in its buffer).
    pub fn into_inner(self) -> R {
        match self {
            Decoder::Plain(r) => r,
            Decoder::Gzip(d) => d.into_inner(),
            Decoder::Zstd(d) => d.finish(),
        }
    }
}

impl<R: BufRead> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(d) => d.read(buf),
            Decoder::Zstd(d) => d.read(buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn magic_bytes() {
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(
            Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd]),
            Compression::Zstd
        );
        assert_eq!(Compression::sniff(&[0x28, 0xb5]), Compression::None);
        assert_eq!(Compression::sniff(b""), Compression::None);
        assert_eq!(
            Compression::from_media_type("application/vnd.docker.image.rootfs.diff.tar.gzip")
                .unwrap(),
            Compression::Gzip
        );
        assert!(Compression::from_media_type("text/plain").is_err());
        for c in [Compression::None, Compression::Gzip, Compression::Zstd] {
            assert_eq!(Compression::from_media_type(c.media_type()).unwrap(), c);
        }
    }

    #[test]
    fn decoders_round_trip() {
        let data = b"tar bytes, more or less".repeat(100);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&data).unwrap();
        let gz = gz.finish().unwrap();
        let zst = zstd::stream::encode_all(&data[..], 1).unwrap();
        for (blob, want) in [
            (&data[..], Compression::None),
            (&gz[..], Compression::Gzip),
            (&zst[..], Compression::Zstd),
        ] {
            assert_eq!(Compression::sniff(blob), want);
            let mut d = sniff_decoder(blob).unwrap();
            let mut out = Vec::new();
            d.read_to_end(&mut out).unwrap();
            assert_eq!(out, data);
        }
    }
}
