"""The counter rating pad (评价器): `yizhan rating --hall URL --window N`."""
