// One order for names, keys and timestamps everywhere they are listed: by
// UTF-16 code units, as etcd orders keys by bytes and as Go's sort.Strings
// orders names. Not localeCompare: its first call loads ICU's collator, which
// cost a listing command about a tenth of its run time.
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
