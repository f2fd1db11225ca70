"""An X screen that Xvfb keeps as a file (-fbdir: Xvfb_screen0, XWD format), read with the
standard library only.

    python3 xwd.py colours FILE      the number of distinct colours in a sample of the screen
    python3 xwd.py png FILE OUT.png  the screen as a PNG (for docs/desktop.md)

Only what Xvfb writes is read: ZPixmap, 24 or 32 bits a pixel.
"""

import struct
import sys
import zlib

FIELDS = ("header_size file_version pixmap_format pixmap_depth width height xoffset "
          "byte_order bitmap_unit bitmap_bit_order bitmap_pad bits_per_pixel bytes_per_line "
          "visual_class red_mask green_mask blue_mask bits_per_rgb colormap_entries ncolors "
          "window_width window_height window_x window_y window_bdrwidth").split()


def read(path: str):
    """(width, height, rows): each row a bytes object of R, G, B triples."""
    data = open(path, "rb").read()
    header = dict(zip(FIELDS, struct.unpack(">25I", data[:100])))
    if header["pixmap_format"] != 2 or header["bits_per_pixel"] not in (24, 32):
        raise ValueError(f"not a ZPixmap of 24/32-bit pixels: {header}")
    start = header["header_size"] + 12 * header["ncolors"]
    bpp, stride = header["bits_per_pixel"] // 8, header["bytes_per_line"]
    little = header["byte_order"] == 0
    width, height = header["width"], header["height"]
    rows = []
    for y in range(height):
        line = data[start + y * stride:start + y * stride + width * bpp]
        # LSBFirst 32-bit pixels are B, G, R, X in memory
        if little:
            out = bytearray(width * 3)
            out[0::3], out[1::3], out[2::3] = line[2::bpp], line[1::bpp], line[0::bpp]
        else:
            out = bytearray(width * 3)
            out[0::3], out[1::3], out[2::3] = line[bpp - 3::bpp], line[bpp - 2::bpp], line[bpp - 1::bpp]
        rows.append(bytes(out))
    return width, height, rows


def colours(path: str, step: int = 7) -> int:
    width, height, rows = read(path)
    seen = set()
    for row in rows[::step]:
        for x in range(0, width * 3, 3 * step):
            seen.add(row[x:x + 3])
    return len(seen)


def png(path: str, out: str) -> None:
    width, height, rows = read(path)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    raw = b"".join(b"\0" + row for row in rows)
    with open(out, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    if sys.argv[1] == "colours":
        print(colours(sys.argv[2]))
    else:
        png(sys.argv[2], sys.argv[3])
