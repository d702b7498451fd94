//! The simulated network: which nodes there are and who is whose parent.

/// A node's index in [`NODES`].
pub type NodeId = usize;

/// One node of the simulated network.
#[derive(Clone, Copy, Debug)]
pub struct NodeSpec {
    /// The node's 6-digit local government code (the national node has none: "national").
    pub code: &'static str,
    pub name: &'static str,
    pub parent: Option<NodeId>,
    /// A municipal node records changes; the others receive them.
    pub municipal: bool,
}

pub const NATIONAL: NodeId = 0;

/// National; 東京都 and 大阪府; two municipalities under each.
pub const NODES: [NodeSpec; 7] = [
    NodeSpec {
        code: "national",
        name: "国",
        parent: None,
        municipal: false,
    },
    NodeSpec {
        code: "130001",
        name: "東京都",
        parent: Some(NATIONAL),
        municipal: false,
    },
    NodeSpec {
        code: "270008",
        name: "大阪府",
        parent: Some(NATIONAL),
        municipal: false,
    },
    NodeSpec {
        code: "131148",
        name: "中野区",
        parent: Some(1),
        municipal: true,
    },
    NodeSpec {
        code: "131202",
        name: "練馬区",
        parent: Some(1),
        municipal: true,
    },
    NodeSpec {
        code: "272191",
        name: "和泉市",
        parent: Some(2),
        municipal: true,
    },
    NodeSpec {
        code: "272108",
        name: "枚方市",
        parent: Some(2),
        municipal: true,
    },
];

/// The municipal nodes, in order.
pub const MUNICIPAL: [NodeId; 4] = [3, 4, 5, 6];

/// The prefecture nodes.
pub const PREFECTURES: [NodeId; 2] = [1, 2];

/// The parent of a node that has one.
pub fn parent(node: NodeId) -> Option<NodeId> {
    NODES[node].parent
}

/// The nodes with a link to a parent, each naming its link (a link is named by its child).
pub fn children() -> impl Iterator<Item = NodeId> {
    (0..NODES.len()).filter(|&n| NODES[n].parent.is_some())
}

/// The link a message between `a` and `b` travels on: the child's end.
pub fn link_between(a: NodeId, b: NodeId) -> NodeId {
    if NODES[a].parent == Some(b) { a } else { b }
}

/// Where the name is printed in traces: code and name.
pub fn label(node: NodeId) -> String {
    format!("{}{}", NODES[node].code, NODES[node].name)
}
