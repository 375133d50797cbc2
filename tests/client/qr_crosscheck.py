#!/usr/bin/python3
"""tessera's QR encoder (include/tessera/client/qr.hpp) against Debian's python3-qrcode: for
texts at the edges of versions 1-10 at level M, the same symbol for each forced mask 0-7; and
the symbol tessera chooses by itself is one of those. (The choice itself may differ: python3-qrcode
scores the masks with the format information left blank, tessera with it written, as ISO/IEC
18004 evaluates the finished symbol.) Usage: qr_crosscheck.py <tessera_qr_tool>"""
import subprocess
import sys

import qrcode

tool = sys.argv[1]


def tessera(text, mask=None):
    args = [tool, text] + ([str(mask)] if mask is not None else [])
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout.split('\n')
    return [row for row in out if row]


def reference(text, mask=None):
    q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=mask)
    q.add_data(text.encode(), optimize=0)
    q.make(fit=True)
    return [''.join('1' if m else '0' for m in row) for row in q.get_matrix()]


texts = ['a', 'https://x.io/d', 'https://flyte.example.com/oauth2/device?user_code=WDJB-MJHT',
         'http://127.0.0.1:8088/oauth2/device?user_code=ABCD-EFGH']
# One text at each version's byte capacity at level M, and one byte more.
for cap in (14, 26, 42, 62, 84, 106, 122, 152, 180, 213):
    texts.append('u' * cap)
    if cap < 213:
        texts.append('v' * (cap + 1))
failures = 0
checked = 0
for text in texts:
    references = [reference(text, mask) for mask in range(8)]
    for mask in range(8):
        mine = tessera(text, mask)
        checked += 1
        if mine != references[mask]:
            failures += 1
            print(f'MISMATCH: {len(text)} bytes, mask {mask}: tessera {len(mine)}x{len(mine)}, '
                  f'python3-qrcode {len(references[mask])}x{len(references[mask])}')
    chosen = tessera(text)
    checked += 1
    if chosen not in references:
        failures += 1
        print(f'MISMATCH: {len(text)} bytes: the symbol tessera chose is none of the eight masked ones')
too_long = subprocess.run([tool, 'w' * 214], capture_output=True, text=True)
if too_long.returncode != 1 or not too_long.stdout.startswith('error'):
    failures += 1
    print('MISMATCH: 214 bytes should be refused')
print(f'{checked} symbols compared, {failures} mismatches')
sys.exit(1 if failures else 0)
