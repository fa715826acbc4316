// Kazakhstan's BIN/IIN check digit, the same rule as the server's
// accounts/taxid.py: weights 1..11 mod 11; if 10, weights 3..11,1,2; a
// second 10 means no valid number starts with these eleven digits.
const FIRST = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const SECOND = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

export function checkDigit(firstEleven) {
  const digits = [...firstEleven].map(Number);
  for (const weights of [FIRST, SECOND]) {
    const remainder = digits.reduce((sum, d, i) => sum + d * weights[i], 0) % 11;
    if (remainder !== 10) return remainder;
  }
  return null;
}

export const isWellFormed = (value) => /^\d{12}$/.test(value);
export const isValid = (value) => isWellFormed(value) && checkDigit(value.slice(0, 11)) === Number(value[11]);
