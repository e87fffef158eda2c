package alerts

import "slices"

func sortFunc[T any](xs []T, cmp func(a, b T) int) { slices.SortStableFunc(xs, cmp) }
