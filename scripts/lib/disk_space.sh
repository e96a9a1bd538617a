# Sourced by .ci/run and scripts/build_torch2.sh: refuse to start a long job that would run out of
# disk space part-way (pip and the linker fail with ENOSPC after many minutes otherwise).

# need_disk GIB DIR WHAT: exits 1 with one line when the file system holding DIR (or its nearest
# existing parent) has less than GIB GiB free; WHAT names what needs the space.
need_disk() {
  local gib=$1 dir=$2 what=$3 free_kib
  while [[ ! -e $dir ]]; do dir=$(dirname "$dir"); done
  free_kib=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
  if ((free_kib < gib * 1024 * 1024)); then
    printf '%s: %s needs about %d GiB free on the disk of %s, which has %.1f GiB\n' \
      "${BASH_SOURCE[-1]}" "$what" "$gib" "$dir" "$(awk -v k="$free_kib" 'BEGIN { print k / 1048576 }')" >&2
    exit 1
  fi
}
