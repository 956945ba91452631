from cesdk import cesql


@cesql.function
def has_label(selector: str, label: str) -> bool:
    """HAS_LABEL('app=web,tier=front', 'tier=front')"""
    return label in selector.split(",")


@cesql.function(name="JOIN_PATH")
def join_path(first: str, *rest: str) -> str:
    return "/".join([first, *rest])


expr = cesql.compile(
    "HAS_LABEL(selector, 'tier=front') AND JOIN_PATH(namespace, 'pods') = 'shop/pods'",
    functions=[has_label, join_path],
)
assert expr.matches({"selector": "app=web,tier=front", "namespace": "shop"})

# Arguments are cast to the declared types; 42 becomes '42'.
assert cesql.compile("HAS_LABEL('42', 42)", functions=[has_label]).matches({})

# An exception, or a value outside the declared type, is the zero value and an error.
broken = cesql.Function("BROKEN", [int], int, lambda n: n / 0)
value, errors = cesql.compile("BROKEN(1)", functions=[broken]).evaluate({})
assert value == 0
assert isinstance(errors[0], cesql.FunctionEvaluationError)

# register() makes a function known to every later compile, YAML filters included.
cesql.register(has_label)
try:
    assert cesql.compile("HAS_LABEL('a,b', 'b')").matches({})
finally:
    cesql.unregister(has_label)
