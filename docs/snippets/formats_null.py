import cesdk
from cesdk.formats import json

HEAD = '{"specversion":"1.0","id":"1","source":"/s","type":"t"'

# An attribute whose value is null is unset (json-format.md section 2.2).
ev = json.decode(HEAD + ',"subject":null,"partitionkey":null}')
assert ev.subject is None
assert "partitionkey" not in ev

# "data": null is JSON null data when the content is JSON (or unlabelled) ...
assert json.decode(HEAD + ',"data":null}').data is None
# ... and no data at all when the datacontenttype is not JSON.
text = json.decode(HEAD + ',"datacontenttype":"text/plain","data":null}')
assert text.data is cesdk.NO_DATA
